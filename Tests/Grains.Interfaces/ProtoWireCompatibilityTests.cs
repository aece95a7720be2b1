using System.Collections;
using System.Globalization;
using System.Reflection;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains.Interfaces;

/// <summary>
/// Proves the project's own Envoy proto subset is wire-exact: every field of every message,
/// filled in C#, is decoded by Envoy's canonical protos (as shipped in @grpc/grpc-js-xds) into
/// a field of the same name and value, and re-encodes to the same bytes. A wrong field number,
/// type or name shows up as a difference.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ProtoWireCompatibilityTests
{
    private static readonly Assembly s_subset = typeof(Cluster).Assembly;
    private static readonly Dictionary<string, MessageDescriptor> s_byName = AllMessages().ToDictionary(d => d.FullName, StringComparer.Ordinal);

    [Fact]
    public async Task EveryFieldOfEveryMessage_RoundTripsThroughEnvoysCanonicalProtos()
    {
        await using var decoder = await NodeProcess.StartAsync("decode.js", []);
        var failures = new List<string>();
        var checkedMessages = 0;
        foreach (var descriptor in s_byName.Values.OrderBy(d => d.FullName, StringComparer.Ordinal))
        {
            var variants = Math.Max(1, descriptor.Oneofs.Where(o => !o.IsSynthetic).Select(o => o.Fields.Count).DefaultIfEmpty(1).Max());
            for (var variant = 0; variant < variants; variant++)
            {
                var message = Fill(descriptor, depth: 0, variant);
                var failure = await CompareAsync(decoder, message);
                if (failure is not null)
                {
                    failures.Add($"{descriptor.FullName} (variant {variant}): {failure}");
                }

                checkedMessages++;
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(checkedMessages >= 229, $"only {checkedMessages} messages were checked");
    }

    [Fact]
    public async Task ResourcesTheServerSends_DecodeIdenticallyWithEnvoysCanonicalProtos()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["greeter.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "greeter.yaml")),
            ["reviews.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "reviews.yaml")),
        });
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await using var decoder = await NodeProcess.StartAsync("decode.js", []);
        var failures = new List<string>();
        var resources = 0;
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveAsync();
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveAsync();
        var names = AdsTestClient.Unpack<Cluster>(clusters).Select(c => c.Name).ToList();
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, names);
        var endpoints = await client.ReceiveAsync();
        await client.SendAsync(TypeUrls.RouteConfiguration, AdsTestClient.Unpack<Envoy.Config.Listener.V3.Listener>(listeners).Select(l => l.Name));
        var routes = await client.ReceiveAsync();

        foreach (var response in new[] { clusters, listeners, endpoints, routes })
        {
            var typeName = response.TypeUrl[TypeUrls.Prefix.Length..];
            foreach (var any in response.Resources)
            {
                var message = s_byName[typeName].Parser.ParseFrom(any.Value);
                var failure = await CompareAsync(decoder, message);
                if (failure is not null)
                {
                    failures.Add($"{typeName}: {failure}");
                }

                resources++;
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(16, resources);
    }

    private static async Task<string?> CompareAsync(NodeProcess decoder, IMessage message)
    {
        var bytes = message.ToByteArray();
        var reply = await decoder.AskAsync(new { type = message.Descriptor.FullName, b64 = Convert.ToBase64String(bytes) });
        if (reply["error"] is { } error)
        {
            return "canonical decode failed: " + error;
        }

        var expected = new List<string>();
        Walk(message, string.Empty, expected);
        expected.Sort(StringComparer.Ordinal);
        var actual = reply["fields"]!.AsArray().Select(f => (string)f!).ToList();
        actual.Sort(StringComparer.Ordinal);
        if (!expected.SequenceEqual(actual))
        {
            var missing = expected.Except(actual).Take(5);
            var extra = actual.Except(expected).Take(5);
            return $"fields differ; only in C#: [{string.Join(", ", missing)}]; only canonical: [{string.Join(", ", extra)}]";
        }

        return (string)reply["b64"]! == Convert.ToBase64String(bytes) ? null : "re-encoded bytes differ";
    }

    private static void Walk(IMessage message, string prefix, List<string> output)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var name = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    Visit(valueField, entry.Value!, $"{name}[{Format(entry.Key)}]", output);
                }
            }
            else if (field.IsRepeated)
            {
                var i = 0;
                foreach (var item in (IList)value)
                {
                    Visit(field, item, $"{name}[{i++}]", output);
                }
            }
            else if (field.RealContainingOneof is { } oneof)
            {
                if (oneof.Accessor.GetCaseFieldDescriptor(message) == field)
                {
                    Visit(field, value, name, output);
                }
            }
            else if (field.FieldType == FieldType.Message ? value is not null : !IsDefault(value))
            {
                Visit(field, value, name, output);
            }
        }
    }

    private static void Visit(FieldDescriptor field, object value, string name, List<string> output)
    {
        switch (field.FieldType)
        {
            case FieldType.Message or FieldType.Group:
                output.Add(name);
                if (IsWrapper(field.MessageType))
                {
                    // C# exposes wrapper fields as nullable primitives; the wrapped value is field 1.
                    if (!IsDefault(value))
                    {
                        output.Add($"{name}.value={Format(value)}");
                    }
                }
                else if (value is Any any)
                {
                    output.Add($"{name}.type_url={any.TypeUrl}");
                    var inner = s_byName[Any.GetTypeName(any.TypeUrl)];
                    Walk(inner.Parser.ParseFrom(any.Value), $"{name}.<{inner.FullName}>.", output);
                }
                else
                {
                    Walk((IMessage)value, name + ".", output);
                }

                break;
            case FieldType.Enum:
                output.Add($"{name}={Convert.ToInt32(value, CultureInfo.InvariantCulture)}");
                break;
            default:
                output.Add($"{name}={Format(value)}");
                break;
        }
    }

    private static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        ByteString bytes => bytes.ToBase64(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static bool IsDefault(object value) => value switch
    {
        string s => s.Length == 0,
        bool b => !b,
        ByteString bytes => bytes.IsEmpty,
        _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture) == 0,
    };

    /// <summary>A message with every field set to a non-default value; oneofs take their <paramref name="variant"/>-th case.</summary>
    private static IMessage Fill(MessageDescriptor descriptor, int depth, int variant)
    {
        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        if (message is Any)
        {
            return Any.Pack(new Locality { Region = "region-" + variant, Zone = "zone", SubZone = "sub" });
        }

        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (field.RealContainingOneof is { } oneof && oneof.Fields[variant % oneof.Fields.Count] != field)
            {
                continue;
            }

            if (field.FieldType is FieldType.Message && depth >= 4)
            {
                continue;
            }

            if (field.IsMap)
            {
                var valueField = field.MessageType.FindFieldByNumber(2);
                ((IDictionary)field.Accessor.GetValue(message))["key-" + field.Name] = Value(valueField, depth, variant);
            }
            else if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                list.Add(Value(field, depth, variant));
                list.Add(Value(field, depth, variant + 1));
            }
            else
            {
                field.Accessor.SetValue(message, Value(field, depth, variant));
            }
        }

        return message;
    }

    private static bool IsWrapper(MessageDescriptor descriptor) => descriptor.File == WrappersReflection.Descriptor;

    private static object Value(FieldDescriptor field, int depth, int variant) => field.FieldType switch
    {
        FieldType.Message when IsWrapper(field.MessageType) => Value(field.MessageType.FindFieldByNumber(1), depth, variant),
        FieldType.Message => Fill(field.MessageType, depth + 1, variant),
        FieldType.String => $"{field.Name}-{variant}",
        FieldType.Bool => true,
        FieldType.Enum => field.EnumType.Values[^1].Number,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 7 + field.FieldNumber,
        FieldType.UInt32 or FieldType.Fixed32 => (uint)(7 + field.FieldNumber),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 70_000_000_000L + field.FieldNumber,
        FieldType.UInt64 or FieldType.Fixed64 => 70_000_000_000UL + (ulong)field.FieldNumber,
        FieldType.Double => 9.0 + field.FieldNumber,
        FieldType.Float => 9.0f + field.FieldNumber,
        FieldType.Bytes => ByteString.CopyFromUtf8(field.Name),
        _ => throw new NotSupportedException(field.FieldType.ToString()),
    };

    private static IEnumerable<MessageDescriptor> AllMessages()
    {
        static IEnumerable<MessageDescriptor> WithNested(MessageDescriptor d) => d.NestedTypes.Where(n => !n.IsMapEntry).SelectMany(WithNested).Prepend(d);

        // CSDS (csds.proto, messages and service in one file) is compiled by the frontend.
        return s_subset.GetTypes().Concat(typeof(Envoy.Service.Status.V3.ClientConfig).Assembly.GetTypes().Where(t => t.Namespace == "Envoy.Service.Status.V3"))
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static) is not null)
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .SelectMany(f => f.MessageTypes)
            .SelectMany(WithNested)
            .Concat(new[] { Any.Descriptor, Duration.Descriptor, Struct.Descriptor, Google.Protobuf.WellKnownTypes.Value.Descriptor, ListValue.Descriptor, UInt32Value.Descriptor, BoolValue.Descriptor })
            .DistinctBy(d => d.FullName);
    }
}
