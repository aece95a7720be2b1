using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// Served xDS resources as the JSON Envoy's docs and <c>config_dump</c> show: protobuf's JSON
/// mapping with the protos' own field names (<c>connect_timeout</c>, not <c>connectTimeout</c>),
/// every <c>Any</c> expanded through a registry of each message of the project's Envoy protos.
/// </summary>
public static class EnvoyJson
{
    private static readonly TypeRegistry s_registry = TypeRegistry.FromFiles(ProtoFiles().ToArray());

    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(s_registry)
        .WithPreserveProtoFieldNames(true));

    /// <summary>The resource in <paramref name="any"/> as JSON (its <c>@type</c> left out: the file it sits in says it).</summary>
    public static string Format(Any any)
    {
        ArgumentNullException.ThrowIfNull(any);
        var name = Any.GetTypeName(any.TypeUrl);
        var descriptor = s_registry.Find(name) ?? throw new InvalidOperationException($"no message {name} in the project's protos");
        return s_formatter.Format(descriptor.Parser.ParseFrom(any.Value));
    }

    /// <summary>The message type a type URL names, for the served resource types.</summary>
    public static MessageDescriptor Descriptor(string typeUrl) =>
        s_registry.Find(Any.GetTypeName(typeUrl)) ?? throw new InvalidOperationException($"no message for {typeUrl}");

    /// <summary>Every generated proto file of the assembly that holds the Envoy protos (and the well-known types they use).</summary>
    private static IEnumerable<FileDescriptor> ProtoFiles()
    {
        var assembly = typeof(Envoy.Config.Cluster.V3.Cluster).Assembly;
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static) is { PropertyType: var propertyType } property
                && propertyType == typeof(FileDescriptor))
            {
                yield return (FileDescriptor)property.GetValue(null)!;
            }
        }

        yield return AnyReflection.Descriptor;
        yield return DurationReflection.Descriptor;
        yield return StructReflection.Descriptor;
        yield return WrappersReflection.Descriptor;
    }

    /// <summary>The name a resource of <paramref name="typeUrl"/> goes by in its JSON: <c>cluster_name</c> for endpoints, else <c>name</c>.</summary>
    public static string NameField(string typeUrl) => typeUrl == TypeUrls.ClusterLoadAssignment ? "cluster_name" : "name";
}
