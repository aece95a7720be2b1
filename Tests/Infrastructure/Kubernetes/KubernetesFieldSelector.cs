using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A <c>fieldSelector</c> as the API server parses and evaluates it (<c>k8s.io/apimachinery/pkg/fields</c>):
/// comma-separated terms <c>field=value</c>, <c>field==value</c> or <c>field!=value</c>, all of
/// which must hold; in a value, <c>\</c> escapes <c>\</c>, <c>,</c> and <c>=</c>. An empty selector
/// selects everything.
/// </summary>
/// <remarks>
/// Each resource accepts only the fields its field-label conversion names; any other answers 400
/// with that conversion's message. The fake knows a subset of the real sets: <c>metadata.name</c>
/// everywhere, <c>metadata.namespace</c> on namespaced types, and <c>type</c> on Secrets (the
/// real server also has Pod's <c>spec.nodeName</c> and <c>status.phase</c>, Node's
/// <c>spec.unschedulable</c>, Namespace's <c>status.phase</c> and others, which answer 400 here).
/// </remarks>
internal sealed class KubernetesFieldSelector
{
    private readonly IReadOnlyList<Term> _terms;

    private KubernetesFieldSelector(IReadOnlyList<Term> terms) => _terms = terms;

    /// <summary>
    /// Parses <paramref name="selector"/> for <paramref name="type"/>; null when there is none.
    /// Throws a 400 <see cref="KubernetesStatusException"/> for a term it cannot read or a field
    /// the type does not support, with the real server's message.
    /// </summary>
    public static KubernetesFieldSelector? Parse(string? selector, KubernetesResourceType type)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return null;
        }

        // The server sorts the terms first, so the first bad one in that order is the one reported.
        var parts = SplitTerms(selector);
        parts.Sort(StringComparer.Ordinal);
        var terms = new List<Term>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }

            var (field, equal, rawValue) = SplitTerm(part)
                ?? throw BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            terms.Add(new Term(field, equal, Unescape(rawValue)));
        }

        // The server converts the field labels only after the whole selector has parsed.
        foreach (var term in terms)
        {
            if (!IsSupported(type, term.Field))
            {
                throw BadRequest(UsesDefaultConversion(type)
                    ? $"\"{term.Field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                    : $"field label not supported: {term.Field}");
            }
        }

        return new KubernetesFieldSelector(terms);
    }

    /// <summary>Whether <paramref name="value"/>, a stored object, satisfies every term.</summary>
    public bool Matches(JsonObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return _terms.All(term => (FieldValue(value, term.Field) == term.Value) == term.Equal);
    }

    private static string FieldValue(JsonObject value, string field) => field switch
    {
        "metadata.name" => (string?)value["metadata"]?["name"] ?? string.Empty,
        "metadata.namespace" => (string?)value["metadata"]?["namespace"] ?? string.Empty,

        // The API server defaults an empty Secret type to Opaque when the Secret is written; the
        // fake stores what it is given, so it defaults here instead.
        "type" => (string?)value["type"] is { Length: > 0 } secretType ? secretType : "Opaque",
        _ => string.Empty,
    };

    private static bool IsSupported(KubernetesResourceType type, string field) => field switch
    {
        "metadata.name" => true,
        "metadata.namespace" => type.Namespaced,
        "type" => type == KubernetesResourceTypes.Secrets,
        _ => false,
    };

    // Core types and custom resources register their own conversion ("field label not supported");
    // built-in types of other groups, such as EndpointSlice, fall back to the default one.
    private static bool UsesDefaultConversion(KubernetesResourceType type) => type.Group.Length > 0 && !type.IsCustom;

    /// <summary>Splits at commas not escaped by a backslash, keeping the escapes (<c>splitTerms</c>).</summary>
    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        var start = 0;
        var escaped = false;
        for (var i = 0; i < selector.Length; i++)
        {
            if (escaped)
            {
                escaped = false;
            }
            else if (selector[i] == '\\')
            {
                escaped = true;
            }
            else if (selector[i] == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }

        terms.Add(selector[start..]);
        return terms;
    }

    /// <summary>
    /// Splits at the first operator, trying <c>!=</c>, then <c>==</c>, then <c>=</c> at each
    /// position (<c>splitTerm</c>): the field cannot be escaped, so its first operator ends it.
    /// </summary>
    private static (string Field, bool Equal, string Value)? SplitTerm(string term)
    {
        for (var i = 0; i < term.Length; i++)
        {
            var rest = term.AsSpan(i);
            if (rest.StartsWith("!=", StringComparison.Ordinal))
            {
                return (term[..i], false, term[(i + 2)..]);
            }

            if (rest.StartsWith("==", StringComparison.Ordinal))
            {
                return (term[..i], true, term[(i + 2)..]);
            }

            if (rest[0] == '=')
            {
                return (term[..i], true, term[(i + 1)..]);
            }
        }

        return null;
    }

    /// <summary>Reads the escapes of a value back (<c>UnescapeValue</c>), refusing a bare <c>,</c> or <c>=</c>.</summary>
    private static string Unescape(string value)
    {
        var unescaped = new StringBuilder(value.Length);
        var escaped = false;
        foreach (var c in value)
        {
            if (escaped)
            {
                if (c is not ('\\' or ',' or '='))
                {
                    throw BadRequest("invalid field selector: invalid escape sequence: \\" + c);
                }

                unescaped.Append(c);
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (c is ',' or '=')
            {
                // Go formats the rune with %v, which prints its code point.
                throw BadRequest("invalid field selector: unescaped character in value: " + ((int)c).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                unescaped.Append(c);
            }
        }

        return escaped ? throw BadRequest("invalid field selector: invalid escape sequence: \\") : unescaped.ToString();
    }

    private static KubernetesStatusException BadRequest(string message) => new(400, "BadRequest", message);

    private sealed record Term(string Field, bool Equal, string Value);
}
