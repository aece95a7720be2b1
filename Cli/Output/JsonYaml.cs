using System.Globalization;
using System.Text.Json;
using YamlDotNet.Serialization;

namespace Mesh.Orleans.Cli.Output;

/// <summary>
/// Prints JSON as YAML, as istioctl's <c>-o yaml</c> does (it converts its JSON with
/// <c>sigs.k8s.io/yaml</c>): objects become mappings in the same key order, strings that YAML
/// would read as something else (<c>"80"</c>, <c>"true"</c>, <c>""</c>) are quoted, numbers stay
/// as JSON wrote them.
/// </summary>
internal static class JsonYaml
{
    private static readonly ISerializer s_serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .Build();

    /// <summary>The YAML text of <paramref name="json"/>.</summary>
    public static string ToYaml(JsonElement json) => s_serializer.Serialize(ToObject(json));

    private static object? ToObject(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => json.EnumerateObject().Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (map, property) =>
        {
            map[property.Name] = ToObject(property.Value);
            return map;
        }),
        JsonValueKind.Array => json.EnumerateArray().Select(ToObject).ToList(),
        JsonValueKind.String => json.GetString(),
        JsonValueKind.Number when json.TryGetInt64(out var integer) => integer,
        JsonValueKind.Number => decimal.TryParse(json.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : json.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
