using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Typed, path-aware reads of a YAML tree: each read names the field it failed on, so that a
/// rejection tells the operator exactly what to fix.
/// </summary>
internal static partial class YamlFields
{
    public static YamlMappingNode? OptionalMap(YamlMappingNode parent, string key, string path)
    {
        var node = Get(parent, key);
        return node switch
        {
            null => null,
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlMappingNode map => map,
            _ => throw new InvalidFieldException(Join(path, key), "must be a mapping"),
        };
    }

    public static YamlMappingNode RequiredMap(YamlMappingNode parent, string key, string path) =>
        OptionalMap(parent, key, path) ?? throw new InvalidFieldException(Join(path, key), "is required");

    public static YamlSequenceNode? OptionalList(YamlMappingNode parent, string key, string path, int maxItems)
    {
        var node = Get(parent, key);
        var list = node switch
        {
            null => null,
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlSequenceNode sequence => sequence,
            _ => throw new InvalidFieldException(Join(path, key), "must be a list"),
        };
        if (list is not null && list.Children.Count > maxItems)
        {
            throw new InvalidFieldException(Join(path, key), $"has {list.Children.Count} items; at most {maxItems} are allowed");
        }

        return list;
    }

    public static string? OptionalString(YamlMappingNode parent, string key, string path)
    {
        var node = Get(parent, key);
        return node switch
        {
            null => null,
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlScalarNode scalar => scalar.Value ?? string.Empty,
            _ => throw new InvalidFieldException(Join(path, key), "must be a string"),
        };
    }

    public static string RequiredString(YamlMappingNode parent, string key, string path)
    {
        var value = OptionalString(parent, key, path);
        return string.IsNullOrEmpty(value) ? throw new InvalidFieldException(Join(path, key), "is required") : value;
    }

    public static int? OptionalInt(YamlMappingNode parent, string key, string path, int min, int max)
    {
        var node = Get(parent, key);
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode scalar when IsNull(scalar):
                return null;
            case YamlScalarNode scalar when scalar.Style is YamlDotNet.Core.ScalarStyle.Plain
                && int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value):
                if (value < min || value > max)
                {
                    throw new InvalidFieldException(Join(path, key), $"must be between {min} and {max}, not {value}");
                }

                return value;
            default:
                throw new InvalidFieldException(Join(path, key), "must be an integer");
        }
    }

    /// <summary>A port's <c>protocol</c>: TCP (the default), UDP or SCTP.</summary>
    public static string Protocol(YamlMappingNode item, string path)
    {
        var protocol = OptionalString(item, "protocol", path) ?? "TCP";
        return protocol is "TCP" or "UDP" or "SCTP"
            ? protocol
            : throw new InvalidFieldException(path + ".protocol", $"must be TCP, UDP or SCTP, not '{Truncate(protocol)}'");
    }

    public static bool? OptionalBool(YamlMappingNode parent, string key, string path)
    {
        var node = Get(parent, key);
        return node switch
        {
            null => null,
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "True" or "TRUE" } => true,
            YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "false" or "False" or "FALSE" } => false,
            _ => throw new InvalidFieldException(Join(path, key), "must be true or false"),
        };
    }

    public static YamlNode? Get(YamlMappingNode parent, string key)
    {
        foreach (var (k, v) in parent.Children)
        {
            if (k is YamlScalarNode { Value: var name } && name == key)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Rejects keys outside <paramref name="allowed"/>, so a typo or an unsupported feature is not silently dropped.</summary>
    public static void OnlyKeys(YamlMappingNode map, string path, IReadOnlySet<string> allowed, IReadOnlyDictionary<string, string>? unsupported = null)
    {
        foreach (var (k, _) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (unsupported is not null && unsupported.TryGetValue(name, out var why))
            {
                throw new InvalidFieldException(Join(path, name), why);
            }

            if (!allowed.Contains(name))
            {
                throw new InvalidFieldException(Join(path, name), "is not a known field");
            }
        }
    }

    public static YamlMappingNode ItemMap(YamlNode node, string path) =>
        node as YamlMappingNode ?? throw new InvalidFieldException(path, "must be a mapping");

    public static string ItemString(YamlNode node, string path) =>
        node is YamlScalarNode scalar && !IsNull(scalar) && !string.IsNullOrEmpty(scalar.Value)
            ? scalar.Value
            : throw new InvalidFieldException(path, "must be a non-empty string");

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    public static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>A DNS-1123 label: what Kubernetes requires of namespaces and port names.</summary>
    public static void RequireDnsLabel(string value, string field)
    {
        if (value.Length > 63 || !DnsLabel().IsMatch(value))
        {
            throw new InvalidFieldException(field, $"'{Truncate(value)}' must be a lowercase DNS label (a-z, 0-9 and '-', at most 63 characters)");
        }
    }

    /// <summary>A DNS-1123 subdomain: what Kubernetes requires of most object names.</summary>
    public static void RequireDnsSubdomain(string value, string field)
    {
        if (value.Length > 253 || !DnsSubdomain().IsMatch(value))
        {
            throw new InvalidFieldException(field, $"'{Truncate(value)}' must be a lowercase DNS subdomain (a-z, 0-9, '-' and '.', at most 253 characters)");
        }
    }

    public static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();
}
