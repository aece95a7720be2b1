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

        if (Problem(json, descriptor) is { } problem)
        {
            return (null, $"does not convert to {descriptor.FullName}: {problem}");
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
    /// The first problem of <paramref name="json"/> read as a <paramref name="descriptor"/>, as a
    /// reason naming the field by its path (<c>typed_config.inline_code</c>): a field the message
    /// does not have, a JSON value of the wrong kind for the field, or an <c>@type</c> naming no
    /// message of the registry. Null when none is found; protobuf's parser has the last word.
    /// </summary>
    private static string? Problem(string json, MessageDescriptor descriptor)
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
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? MessageProblem(document.RootElement, descriptor, string.Empty)
                : $"must be a JSON object (a {descriptor.FullName})";
        }
    }

    private static string? MessageProblem(JsonElement element, MessageDescriptor descriptor, string path)
    {
        if (descriptor.FullName == Any.Descriptor.FullName)
        {
            if (!element.TryGetProperty("@type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return $"{Where(path)}needs an @type that is a string (the type URL of the message it holds)";
            }

            var url = type.GetString()!;
            var inner = Registry.Find(Any.GetTypeName(url));
            if (inner is null)
            {
                return $"{Where(path)}names @type '{Truncate(url)}', which the mesh cannot convert: it converts the Envoy types it generates itself and the Lua, ext_authz, local rate limit and header mutation filters";
            }

            // A well-known type inside an Any carries its JSON under "value".
            return IsWellKnown(inner) ? null : PropertiesProblem(element, inner, path, skipType: true);
        }

        return IsWellKnown(descriptor) ? null : PropertiesProblem(element, descriptor, path, skipType: false);
    }

    private static string? PropertiesProblem(JsonElement element, MessageDescriptor descriptor, string path, bool skipType)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (skipType && property.Name == "@type")
            {
                continue;
            }

            var fieldPath = path.Length == 0 ? property.Name : path + "." + property.Name;
            var field = descriptor.FindFieldByName(property.Name)
                ?? descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name);
            if (field is null)
            {
                return $"{fieldPath}: {descriptor.FullName} has no field '{Truncate(property.Name)}' (or the mesh's subset of it leaves it out)";
            }

            if (ValueProblem(property.Value, field, fieldPath) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? ValueProblem(JsonElement value, FieldDescriptor field, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (field.IsMap)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return $"{path}: must be a mapping";
            }

            var valueField = field.MessageType.FindFieldByNumber(2);
            foreach (var entry in value.EnumerateObject())
            {
                if (ValueProblem(entry.Value, valueField, $"{path}[{Truncate(entry.Name)}]") is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        if (field.IsRepeated)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return $"{path}: must be a list";
            }

            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (SingleProblem(item, field, $"{path}[{index++}]") is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        return SingleProblem(value, field, path);
    }

    private static string? SingleProblem(JsonElement value, FieldDescriptor field, string path)
    {
        var kind = value.ValueKind;
        switch (field.FieldType)
        {
            case FieldType.Message or FieldType.Group:
                if (IsWellKnown(field.MessageType))
                {
                    return null;
                }

                return kind == JsonValueKind.Object
                    ? MessageProblem(value, field.MessageType, path)
                    : $"{path}: must be a mapping (a {field.MessageType.FullName})";
            case FieldType.String:
                return kind == JsonValueKind.String ? null : $"{path}: must be a string, not {Describe(kind)}";
            case FieldType.Bytes:
                return kind == JsonValueKind.String ? null : $"{path}: must be base64 text, not {Describe(kind)}";
            case FieldType.Bool:
                return kind is JsonValueKind.True or JsonValueKind.False ? null : $"{path}: must be true or false, not {Describe(kind)}";
            case FieldType.Enum:
                if (kind == JsonValueKind.String)
                {
                    var name = value.GetString();
                    return field.EnumType.FindValueByName(name) is not null
                        ? null
                        : $"{path}: '{Truncate(name ?? string.Empty)}' is not one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}";
                }

                return kind == JsonValueKind.Number ? null : $"{path}: must be one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}";
            default:
                return kind is JsonValueKind.Number or JsonValueKind.String ? null : $"{path}: must be a number, not {Describe(kind)}";
        }
    }

    /// <summary>The well-known types, whose JSON forms (<c>"5s"</c>, a bare value, any structure) protobuf's parser checks itself.</summary>
    private static bool IsWellKnown(MessageDescriptor descriptor) =>
        descriptor.File.Package == "google.protobuf" && descriptor.FullName != Any.Descriptor.FullName;

    private static string Where(string path) => path.Length == 0 ? string.Empty : path + ": ";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "true or false",
    };

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
