using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// Compares two JSON trees as protobuf's JSON mapping means them, and names the path of every
/// difference: objects by their keys (order does not matter), arrays element by element, numbers
/// by value (a 64-bit integer, which the mapping writes as a string, equals the same number
/// written bare). The arrays named in <see cref="UnorderedArrays"/> are compared as multisets.
/// </summary>
public static class JsonTreeDiff
{
    /// <summary>
    /// Arrays whose order Envoy ignores, compared as multisets: a virtual host's <c>domains</c>
    /// (Envoy picks a virtual host by the kind of domain match, exact before suffix before prefix
    /// before <c>*</c>, never by position in the list).
    /// </summary>
    public static IReadOnlySet<string> UnorderedArrays { get; } = new HashSet<string>(StringComparer.Ordinal) { "domains" };

    /// <summary>
    /// The differences between <paramref name="expected"/> and <paramref name="actual"/>, each as
    /// <c>path: expected X, served Y</c>, <c>path: missing (expected X)</c> or
    /// <c>path: unexpected (served Y)</c>; empty when the trees are equal.
    /// </summary>
    public static IReadOnlyList<string> Compare(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        var differences = new List<string>();
        Walk(expected, actual, path, null, differences);
        return differences;
    }

    private static void Walk(JsonNode? expected, JsonNode? actual, string path, string? key, List<string> differences)
    {
        switch (expected, actual)
        {
            case (null, null):
                return;
            case (JsonObject e, JsonObject a):
                foreach (var (name, value) in e)
                {
                    if (a.TryGetPropertyValue(name, out var served))
                    {
                        Walk(value, served, $"{path}.{name}", name, differences);
                    }
                    else
                    {
                        differences.Add($"{path}.{name}: missing (expected {Show(value)})");
                    }
                }

                foreach (var (name, value) in a)
                {
                    if (!e.ContainsKey(name))
                    {
                        differences.Add($"{path}.{name}: unexpected (served {Show(value)})");
                    }
                }

                return;
            case (JsonArray e, JsonArray a) when key is not null && UnorderedArrays.Contains(key):
                var left = e.Select(Show).Order(StringComparer.Ordinal).ToList();
                var right = a.Select(Show).Order(StringComparer.Ordinal).ToList();
                if (!left.SequenceEqual(right, StringComparer.Ordinal))
                {
                    var missing = left.Except(right, StringComparer.Ordinal).ToList();
                    var extra = right.Except(left, StringComparer.Ordinal).ToList();
                    differences.Add($"{path} (any order): missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}] (expected {left.Count} entries, served {right.Count})");
                }

                return;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= a.Count)
                    {
                        differences.Add($"{path}[{i}]: missing (expected {Show(e[i])})");
                    }
                    else if (i >= e.Count)
                    {
                        differences.Add($"{path}[{i}]: unexpected (served {Show(a[i])})");
                    }
                    else
                    {
                        Walk(e[i], a[i], $"{path}[{i}]", null, differences);
                    }
                }

                return;
            case (JsonValue e, JsonValue a):
                if (!ScalarEquals(e, a))
                {
                    differences.Add($"{path}: expected {Show(e)}, served {Show(a)}");
                }

                return;
            default:
                differences.Add($"{path}: expected {Show(expected)}, served {Show(actual)}");
                return;
        }
    }

    private static bool ScalarEquals(JsonValue expected, JsonValue actual)
    {
        var bothStrings = expected.GetValueKind() == System.Text.Json.JsonValueKind.String && actual.GetValueKind() == System.Text.Json.JsonValueKind.String;
        if (!bothStrings && Number(expected) is { } left && Number(actual) is { } right)
        {
            return left == right;
        }

        return JsonNode.DeepEquals(expected, actual);
    }

    /// <summary>A number, or a string holding an integer (how the JSON mapping writes 64-bit integers); else null.</summary>
    private static decimal? Number(JsonValue value) =>
        value.TryGetValue<decimal>(out var number) ? number
        : value.TryGetValue<string>(out var text) && decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : null;

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 200 ? text : text[..200] + "...";
    }
}
