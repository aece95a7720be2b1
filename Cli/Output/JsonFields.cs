using System.Text.Json;

namespace Mesh.Orleans.Cli.Output;

/// <summary>
/// Reads protobuf messages printed as JSON without knowing which printer made them: the proto
/// field name (<c>dynamic_active_clusters</c>, as Envoy's admin prints it) or its lowerCamelCase
/// JSON name (<c>dynamicActiveClusters</c>, as protojson and Istio's debug port print it) are
/// both accepted, and a field of the wrong JSON type reads as absent rather than throwing.
/// </summary>
internal static class JsonFields
{
    /// <summary>The field <paramref name="protoName"/> (snake_case) of <paramref name="message"/>, when it is an object that has it and it is not null.</summary>
    public static JsonElement? Field(this JsonElement message, string protoName)
    {
        ArgumentNullException.ThrowIfNull(protoName);
        if (message.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (message.TryGetProperty(protoName, out var value) || message.TryGetProperty(CamelCase(protoName), out value))
        {
            return value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : value;
        }

        return null;
    }

    /// <summary>A nested field, following <paramref name="path"/> of proto field names.</summary>
    public static JsonElement? Path(this JsonElement message, params string[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonElement? current = message;
        foreach (var name in path)
        {
            current = current?.Field(name);
        }

        return current;
    }

    /// <summary>The field as a string (a number or boolean printed as JSON prints it); empty when absent.</summary>
    public static string Text(this JsonElement message, params string[] path)
    {
        var value = message.Path(path);
        return value?.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString() ?? string.Empty,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.Value.GetRawText(),
            _ => string.Empty,
        };
    }

    /// <summary>The field's items when it is an array; none otherwise.</summary>
    public static IEnumerable<JsonElement> Items(this JsonElement message, params string[] path)
    {
        var value = message.Path(path);
        return value is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];
    }

    /// <summary>The field's strings when it is an array (other items skipped).</summary>
    public static List<string> Strings(this JsonElement message, params string[] path) =>
        message.Items(path).Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!).ToList();

    /// <summary>
    /// A wrapped or plain unsigned integer field (protojson prints <c>UInt32Value</c> as a bare
    /// number and 64-bit integers as strings); null when absent or not a number.
    /// </summary>
    public static long? Number(this JsonElement message, params string[] path)
    {
        var value = message.Path(path);
        return value?.ValueKind switch
        {
            JsonValueKind.Number when value.Value.TryGetInt64(out var number) => number,
            JsonValueKind.String when long.TryParse(value.Value.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) => number,
            JsonValueKind.Object => value.Value.Number("value"),
            _ => null,
        };
    }

    /// <summary>protojson's JSON name of a proto field: <c>version_info</c> is <c>versionInfo</c>.</summary>
    public static string CamelCase(string protoName)
    {
        ArgumentNullException.ThrowIfNull(protoName);
        var parts = protoName.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
