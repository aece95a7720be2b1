using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// The checks Istio's validation applies to fields that several of its kinds share (hostnames,
/// IP addresses and CIDR blocks, port protocols, labels, <c>exportTo</c>), written the way Istio
/// decides them, so a Gateway or ServiceEntry is refused here exactly when Istio would refuse it.
/// </summary>
internal static partial class IstioFields
{
    /// <summary>Most labels a selector or endpoint may carry (Istio's CRD allows 256 on a WorkloadEntry).</summary>
    public const int MaxLabels = 256;

    /// <summary>The port protocols accepted, in Istio's spelling; Istio reads them ignoring case.</summary>
    public static readonly IReadOnlyList<string> Protocols = ["HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "REDIS", "MYSQL", "TCP", "TLS"];

    /// <summary>
    /// <paramref name="text"/> as one of <see cref="Protocols"/>, compared ignoring case as Istio does.
    /// UDP and HTTP_PROXY, which Istio also parses, are refused: neither can be served by a Gateway
    /// or ServiceEntry port here.
    /// </summary>
    public static string Protocol(string text, string field) =>
        Protocols.FirstOrDefault(p => string.Equals(p, text, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}' is not a supported protocol; use one of {string.Join(", ", Protocols)}");

    /// <summary>Whether Istio treats <paramref name="protocol"/> as HTTP (HTTP/1.1, HTTP/2 or gRPC).</summary>
    public static bool IsHttp(string? protocol) => protocol is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB";

    /// <summary>Whether <paramref name="protocol"/> runs on TLS (HTTPS or TLS).</summary>
    public static bool IsTls(string? protocol) => protocol is "HTTPS" or "TLS";

    /// <summary>A DNS-1123 label as Istio checks it: letters of either case, digits and '-', at most 63 characters.</summary>
    public static bool IsDnsLabel(string value) => value.Length <= 63 && DnsLabel().IsMatch(value);

    /// <summary>
    /// Why <paramref name="domain"/> is not a DNS name whose first label may be a wildcard
    /// (<c>*</c>, or <c>*</c> or <c>*-</c> before a label), or null when it is. Istio also refuses
    /// an all-numeric top-level label, and allows a trailing dot.
    /// </summary>
    public static string? WildcardDomainProblem(string domain)
    {
        if (LengthProblem(domain) is { } problem)
        {
            return problem;
        }

        var dot = domain.IndexOf('.', StringComparison.Ordinal);
        var first = dot < 0 ? domain : domain[..dot];
        if (first.Length > 63 || !WildcardLabel().IsMatch(first))
        {
            return $"'{YamlFields.Truncate(domain)}' is not a valid host (label '{YamlFields.Truncate(first)}')";
        }

        return dot < 0 ? null : LabelsProblem(domain, domain[(dot + 1)..]);
    }

    /// <summary>Why <paramref name="domain"/> is not a fully qualified DNS name without wildcards, or null when it is.</summary>
    public static string? FqdnProblem(string domain) => LengthProblem(domain) ?? LabelsProblem(domain, domain);

    /// <summary>Whether <paramref name="text"/> is an IPv4 address in dotted-decimal form or an IPv6 address.</summary>
    public static bool IsIpAddress(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            // IPv6; a zone ("%eth0") names an interface of one machine, meaningless in config.
            return !text.Contains('%', StringComparison.Ordinal)
                && IPAddress.TryParse(text, out var address)
                && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        // IPAddress.TryParse also takes "10.1" and "0x0a.0.0.1"; Go's parser, and so Istio, does not.
        return Ipv4().IsMatch(text) && text.Split('.').All(part => int.Parse(part, CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>Why <paramref name="text"/> is neither an IP address nor a CIDR block (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>), or null.</summary>
    public static string? IpOrCidrProblem(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return IsIpAddress(text) ? null : $"'{YamlFields.Truncate(text)}' is not an IP address or a CIDR block";
        }

        var address = text[..slash];
        var bits = text[(slash + 1)..];
        var most = address.Contains(':', StringComparison.Ordinal) ? 128 : 32;
        return IsIpAddress(address) && Digits().IsMatch(bits) && bits.Length <= 3 && int.Parse(bits, CultureInfo.InvariantCulture) <= most
            ? null
            : $"'{YamlFields.Truncate(text)}' is not a valid CIDR block";
    }

    /// <summary>
    /// Why the path after <c>unix://</c> is not a Unix domain socket Istio accepts (an absolute
    /// path to a file, or an abstract socket starting with '@'), or null.
    /// </summary>
    public static string? UnixAddressProblem(string path) =>
        path.Length == 0 ? "a unix:// address needs a path after it"
        : path.StartsWith('@') ? null
        : !path.StartsWith('/') || path.EndsWith('/') ? $"'{YamlFields.Truncate(path)}' is not an absolute path to a socket file (or an abstract socket starting with '@')"
        : null;

    /// <summary>
    /// The labels under <paramref name="key"/> (empty when absent), each name and value checked as
    /// Istio checks labels: a name is an optional DNS prefix and '/', then letters, digits, '-', '_'
    /// and '.' starting and ending alphanumeric, at most 63 characters; a value likewise, or empty.
    /// </summary>
    public static Dictionary<string, string> Labels(YamlMappingNode parent, string key, string path)
    {
        var field = YamlFields.Join(path, key);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var map = YamlFields.OptionalMap(parent, key, path);
        if (map is null)
        {
            return labels;
        }

        if (map.Children.Count > MaxLabels)
        {
            throw new InvalidFieldException(field, $"has {map.Children.Count} labels; at most {MaxLabels} are allowed");
        }

        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? string.Empty;
            var labelPath = $"{field}[{YamlFields.Truncate(name)}]";
            if (!IsLabelName(name))
            {
                throw new InvalidFieldException(labelPath, $"'{YamlFields.Truncate(name)}' is not a label name (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
            }

            var value = v is YamlScalarNode scalar
                ? (YamlFields.IsNull(scalar) ? string.Empty : scalar.Value ?? string.Empty)
                : throw new InvalidFieldException(labelPath, "a label value must be a string");
            if (value.Length > 0 && (value.Length > 63 || !QualifiedName().IsMatch(value)))
            {
                throw new InvalidFieldException(labelPath, $"'{YamlFields.Truncate(value)}' is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
            }

            labels[name] = value;
        }

        return labels;
    }

    /// <summary>
    /// A list of strings under <paramref name="key"/> (empty when absent), none of them empty.
    /// </summary>
    public static List<string> Strings(YamlMappingNode parent, string key, string path, int maxItems)
    {
        var list = YamlFields.OptionalList(parent, key, path, maxItems);
        var values = new List<string>(list?.Children.Count ?? 0);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            values.Add(YamlFields.ItemString(list!.Children[i], $"{YamlFields.Join(path, key)}[{i}]"));
        }

        return values;
    }

    /// <summary>
    /// <c>spec.exportTo</c> as Istio validates it: <c>.</c>, <c>*</c> or a namespace, and for a
    /// ServiceEntry also <c>~</c> (visible to no one); no entry twice (<c>.</c> counts as the
    /// object's own namespace); <c>*</c> and <c>~</c> only alone.
    /// </summary>
    public static List<string> ExportTo(YamlMappingNode spec, string ns, bool allowNone)
    {
        var values = Strings(spec, "exportTo", "spec", maxItems: 1000);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            var field = $"spec.exportTo[{i}]";
            var value = values[i];
            if (value == "~" && !allowNone)
            {
                throw new InvalidFieldException(field, "~ (exported to no one) is allowed only on a ServiceEntry");
            }

            if (value is not ("." or "*" or "~"))
            {
                YamlFields.RequireDnsLabel(value, field);
            }

            var key = value == "." ? ns : value;
            if (!seen.Add(key))
            {
                throw new InvalidFieldException(field, key == ns && values.Contains(".") && values.Contains(ns)
                    ? $"'.' stands for the namespace {ns}, which is listed too"
                    : $"'{value}' is listed twice");
            }
        }

        if (values.Count > 1 && values.IndexOf("*") is >= 0 and var star)
        {
            throw new InvalidFieldException($"spec.exportTo[{star}]", "'*' (every namespace) cannot be listed with other entries");
        }

        if (values.Count > 1 && values.IndexOf("~") is >= 0 and var none)
        {
            throw new InvalidFieldException($"spec.exportTo[{none}]", "'~' (no one) cannot be listed with other entries");
        }

        return values;
    }

    private static bool IsLabelName(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var prefix = slash < 0 ? null : name[..slash];
        var local = slash < 0 ? name : name[(slash + 1)..];
        return (prefix is null || (prefix.Length <= 253 && prefix.Split('.').All(IsDnsLabel)))
            && local.Length is > 0 and <= 63
            && QualifiedName().IsMatch(local);
    }

    private static string? LengthProblem(string domain) =>
        domain.Length == 0 ? "an empty host is not allowed"
        : domain.Length > 255 ? $"'{YamlFields.Truncate(domain)}' is longer than 255 characters"
        : null;

    /// <summary>Every label of <paramref name="labels"/> a DNS label (the last may be empty: a trailing dot), the last not all digits.</summary>
    private static string? LabelsProblem(string domain, string labels)
    {
        var parts = labels.Split('.');
        if (parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit))
        {
            return $"'{YamlFields.Truncate(domain)}' is not a valid host (its top-level label '{YamlFields.Truncate(parts[^1])}' is all digits)";
        }

        for (var i = 0; i < parts.Length; i++)
        {
            if (!(i == parts.Length - 1 && parts[i].Length == 0) && !IsDnsLabel(parts[i]))
            {
                return $"'{YamlFields.Truncate(domain)}' is not a valid host (label '{YamlFields.Truncate(parts[i])}')";
            }
        }

        return null;
    }

    [GeneratedRegex("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^(?:\\*|(?:\\*|\\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex WildcardLabel();

    [GeneratedRegex("^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\\z", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^(?:0|[1-9][0-9]{0,2})(?:\\.(?:0|[1-9][0-9]{0,2})){3}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4();

    [GeneratedRegex("^[0-9]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
