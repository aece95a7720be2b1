using System.Reflection;
using System.Text.Json;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// EnvoyFilter patch values as the project's Envoy messages: JSON in (what an operator wrote under
/// <c>patch.value</c>), the message of the patch's applyTo out, every <c>typed_config</c> resolved
/// through a registry of the project's generated Envoy types. A value naming a type outside that
/// registry, or a field the project's subset of a message lacks, is refused by name rather than
/// dropped, so that what is served is what the operator asked for. Istio does the same conversion
/// with its full set of Envoy types (<c>xds.BuildXDSObjectFromStruct</c>).
/// </summary>
public static class EnvoyPatchValues
{
    /// <summary>Longest patch value accepted, in characters of JSON (a large Lua script fits easily).</summary>
    public const int MaxJsonLength = 256 * 1024;

    /// <summary>Deepest JSON nesting accepted; Envoy configuration stays far below it.</summary>
    public const int MaxDepth = 64;

    /// <summary>Every message of the project's Envoy protos, and the well-known types they use.</summary>
    public static TypeRegistry Registry { get; } = TypeRegistry.FromFiles(ProtoFiles().ToArray());

    private static readonly JsonParser s_parser = new(JsonParser.Settings.Default
        .WithTypeRegistry(Registry)
        .WithIgnoreUnknownFields(false)
        .WithRecursionLimit(MaxDepth));

    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(Registry)
        .WithPreserveProtoFieldNames(true));

    /// <summary>The message a patch to <paramref name="applyTo"/> carries, as Istio decides it.</summary>
    public static MessageDescriptor DescriptorFor(EnvoyFilterApplyTo applyTo) => applyTo switch
    {
        EnvoyFilterApplyTo.Listener => Listener.Descriptor,
        EnvoyFilterApplyTo.FilterChain => FilterChain.Descriptor,
        EnvoyFilterApplyTo.NetworkFilter => Filter.Descriptor,
        EnvoyFilterApplyTo.HttpFilter => HttpFilter.Descriptor,
        EnvoyFilterApplyTo.RouteConfiguration => RouteConfiguration.Descriptor,
        EnvoyFilterApplyTo.VirtualHost => VirtualHost.Descriptor,
        EnvoyFilterApplyTo.HttpRoute => Route.Descriptor,
        EnvoyFilterApplyTo.Cluster => Cluster.Descriptor,
        _ => throw new ArgumentOutOfRangeException(nameof(applyTo), applyTo, "not an applyTo the mesh patches"),
    };

    /// <summary>
    /// Converts <paramref name="json"/> to the message of <paramref name="applyTo"/>: the value in
    /// canonical form, or null and the reason it cannot be converted.
    /// </summary>
    public static (EnvoyFilterValue? Value, string? Problem) Convert(EnvoyFilterApplyTo applyTo, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var descriptor = DescriptorFor(applyTo);
        if (json.Length > MaxJsonLength)
        {
            return (null, $"is {json.Length} characters of JSON; at most {MaxJsonLength} are accepted");
        }

        if (UnknownType(json) is { } typeProblem)
        {
            return (null, typeProblem);
        }

        IMessage message;
        try
        {
            message = s_parser.Parse(json, descriptor);
        }
        catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidJsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return (null, $"does not convert to {descriptor.FullName}: {exception.Message}");
        }

        return (new EnvoyFilterValue(s_formatter.Format(message), descriptor.FullName, TypedConfigType(message)), null);
    }

    /// <summary>The message <paramref name="value"/> holds; a value <see cref="Convert"/> made always parses back.</summary>
    public static IMessage Parse(EnvoyFilterValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var descriptor = Registry.Find(value.MessageType) ?? throw new InvalidOperationException($"{value.MessageType} is not one of the project's Envoy messages");
        return s_parser.Parse(value.Json, descriptor);
    }

    /// <summary>The message packed in <paramref name="any"/>, when its type is one of the project's; null otherwise.</summary>
    public static IMessage? Unpack(Any any)
    {
        ArgumentNullException.ThrowIfNull(any);
        var descriptor = Registry.Find(Any.GetTypeName(any.TypeUrl));
        return descriptor?.Parser.ParseFrom(any.Value);
    }

    /// <summary>
    /// The first <c>@type</c> in <paramref name="json"/> that names no message of the registry,
    /// as a reason naming it; null when every one is known (or the text is not JSON, which the
    /// protobuf parser then reports).
    /// </summary>
    private static string? UnknownType(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
        }
        catch (JsonException exception)
        {
            return $"is not JSON: {exception.Message}";
        }

        using (document)
        {
            var pending = new Stack<JsonElement>();
            pending.Push(document.RootElement);
            while (pending.TryPop(out var element))
            {
                if (element.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in element.EnumerateArray())
                    {
                        pending.Push(item);
                    }

                    continue;
                }

                if (element.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "@type")
                    {
                        if (property.Value.ValueKind != JsonValueKind.String)
                        {
                            return "has an @type that is not a string";
                        }

                        var url = property.Value.GetString()!;
                        var name = Any.GetTypeName(url);
                        if (name.Length == 0 || Registry.Find(name) is null)
                        {
                            return $"names @type '{Truncate(url)}', which the mesh cannot convert: it converts the Envoy types it generates itself and Lua, ext_authz, local rate limit and header mutation filters";
                        }
                    }
                    else
                    {
                        pending.Push(property.Value);
                    }
                }
            }
        }

        return null;
    }

    private static string? TypedConfigType(IMessage message) =>
        message.Descriptor.FindFieldByName("typed_config") is { } field && field.Accessor.GetValue(message) is Any any
            ? Any.GetTypeName(any.TypeUrl)
            : null;

    private static string Truncate(string value) => value.Length <= 120 ? value : value[..120] + "…";

    /// <summary>Every generated proto file of the assembly holding the Envoy protos, and the well-known types they use.</summary>
    private static IEnumerable<FileDescriptor> ProtoFiles()
    {
        foreach (var type in typeof(Cluster).Assembly.GetTypes())
        {
            if (type.Namespace?.StartsWith("Envoy.", StringComparison.Ordinal) is true
                && type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static) is { PropertyType: var propertyType } property
                && propertyType == typeof(FileDescriptor))
            {
                yield return (FileDescriptor)property.GetValue(null)!;
            }
        }

        yield return AnyReflection.Descriptor;
        yield return DurationReflection.Descriptor;
        yield return StructReflection.Descriptor;
        yield return WrappersReflection.Descriptor;
        yield return EmptyReflection.Descriptor;
    }
}
