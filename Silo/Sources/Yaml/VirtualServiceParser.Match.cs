using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Match conditions and the small value types they use (string matches, labels, gateways, addresses).</summary>
internal static partial class VirtualServiceParser
{
    private static readonly HashSet<string> s_matchKeys =
    [
        "name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels", "gateways", "queryParams",
        "ignoreUriCase", "withoutHeaders", "sourceNamespace", "statPrefix",
    ];

    private static readonly HashSet<string> s_stringMatchKeys = ["exact", "prefix", "regex"];
    private static readonly string[] s_pseudoHeaders = [":method", ":scheme", ":authority", ":path", ":status"];

    private static HttpMatchSpec ParseHttpMatch(YamlMappingNode match, string path, RouteContext context, Problems problems)
    {
        YamlFields.OnlyKeys(match, path, s_matchKeys);
        StringMatchSpec? uri = null;
        problems.Check(() =>
        {
            uri = OptionalStringMatch(match, "uri", path, allowEmptyPrefix: true);
            if (uri is { Kind: StringMatchKind.Exact or StringMatchKind.Prefix, Value.Length: > 0 } && !uri.Value.StartsWith('/'))
            {
                throw new InvalidFieldException(path + ".uri", $"a path must start with '/', not '{YamlFields.Truncate(uri.Value)}'");
            }

            // An empty match (uri: {}) or an empty prefix matches every path.
            uri = uri is { Kind: StringMatchKind.Present } or { Kind: StringMatchKind.Prefix, Value.Length: 0 } ? null : uri;
        });
        StringMatchSpec? scheme = null, method = null, authority = null;
        problems.Check(() => scheme = OptionalStringMatch(match, "scheme", path, allowEmptyPrefix: false));
        problems.Check(() => method = OptionalStringMatch(match, "method", path, allowEmptyPrefix: false));
        problems.Check(() => authority = OptionalStringMatch(match, "authority", path, allowEmptyPrefix: false));

        var headers = new List<HeaderMatchSpec>();
        problems.Check(() => headers.AddRange(HeaderMatches(match, "headers", path, context, problems, without: false)));
        var withoutHeaders = new List<HeaderMatchSpec>();
        problems.Check(() => withoutHeaders.AddRange(HeaderMatches(match, "withoutHeaders", path, context, problems, without: true)));
        var queryParams = new List<HeaderMatchSpec>();
        problems.Check(() =>
        {
            foreach (var (key, value) in YamlFields.OptionalMap(match, "queryParams", path)?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
            {
                var paramName = (key as YamlScalarNode)?.Value ?? string.Empty;
                var paramPath = $"{path}.queryParams[{YamlFields.Truncate(paramName)}]";
                problems.Check(() =>
                {
                    if (paramName.Length == 0)
                    {
                        throw new InvalidFieldException(paramPath, "a query parameter name must not be empty");
                    }

                    queryParams.Add(new HeaderMatchSpec(paramName, StringMatch(YamlFields.ItemMap(value, paramPath), paramPath, allowEmptyPrefix: false)));
                });
            }
        });
        queryParams.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        int? port = null;
        problems.Check(() => port = YamlFields.OptionalInt(match, "port", path, 0, 65535) is { } p and > 0 ? p : null);
        IReadOnlyDictionary<string, string>? sourceLabels = null;
        problems.Check(() => sourceLabels = Labels(match, "sourceLabels", path));
        string? sourceNamespace = null;
        problems.Check(() => sourceNamespace = SourceNamespace(match, path));
        List<string>? gateways = null;
        problems.Check(() => gateways = GatewayNames(match, path) is { Count: > 0 } g ? g : null);
        var ignoreUriCase = false;
        problems.Check(() => ignoreUriCase = YamlFields.OptionalBool(match, "ignoreUriCase", path) ?? false);
        string? name = null, statPrefix = null;
        problems.Check(() => name = YamlFields.OptionalString(match, "name", path));
        problems.Check(() => statPrefix = YamlFields.OptionalString(match, "statPrefix", path));

        return new HttpMatchSpec(uri, headers, port, scheme, method, authority,
            withoutHeaders.Count == 0 ? null : withoutHeaders, queryParams.Count == 0 ? null : queryParams,
            sourceLabels, sourceNamespace, gateways, ignoreUriCase, string.IsNullOrEmpty(name) ? null : name,
            string.IsNullOrEmpty(statPrefix) ? null : statPrefix);
    }

    private static List<HeaderMatchSpec> HeaderMatches(YamlMappingNode match, string key, string path, RouteContext context, Problems problems, bool without)
    {
        var headers = new List<HeaderMatchSpec>();
        foreach (var (k, value) in YamlFields.OptionalMap(match, key, path)?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var headerName = (k as YamlScalarNode)?.Value ?? string.Empty;
            var headerPath = $"{path}.{key}[{YamlFields.Truncate(headerName)}]";
            problems.Check(() =>
            {
                ValidateMatchHeaderName(headerName, headerPath, context);
                var map = YamlFields.ItemMap(value, headerPath);

                // In withoutHeaders, regex "*" is not RE2: it means "the header is present".
                var stringMatch = without && YamlFields.OptionalString(map, "regex", headerPath) == "*" && map.Children.Count == 1
                    ? new StringMatchSpec(StringMatchKind.Present, string.Empty)
                    : StringMatch(map, headerPath, allowEmptyPrefix: false);
                headers.Add(new HeaderMatchSpec(headerName.ToLowerInvariant(), stringMatch));
            });
        }

        headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (var i = 1; i < headers.Count; i++)
        {
            if (headers[i].Name == headers[i - 1].Name)
            {
                throw new InvalidFieldException($"{path}.{key}[{headers[i].Name}]", "names a header twice (header names compare without case)");
            }
        }

        return headers;
    }

    /// <summary>
    /// A header to match: a pseudo-header (<c>:method</c>, ...) or an HTTP token, as Istio's
    /// ValidateHTTPHeaderNameOrJwtClaimRoute. JWT claims (<c>@request.auth.claims.*</c>) route
    /// only on gateways.
    /// </summary>
    private static void ValidateMatchHeaderName(string name, string path, RouteContext context)
    {
        if (name.StartsWith("@request.auth.claims", StringComparison.Ordinal))
        {
            if (context.AppliesToMesh)
            {
                throw new InvalidFieldException(path, "routing on JWT claims is only supported for gateways; this VirtualService applies to the mesh");
            }

            return;
        }

        if (name.Length == 0 || name.Length > 256 || (!s_pseudoHeaders.Contains(name, StringComparer.Ordinal) && !IsHttpToken(name)))
        {
            throw new InvalidFieldException(path, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~, or a pseudo-header such as :authority)");
        }
    }

    /// <summary>An RFC 7230 token: what an HTTP header name is made of.</summary>
    private static bool IsHttpToken(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static StringMatchSpec? OptionalStringMatch(YamlMappingNode parent, string key, string path, bool allowEmptyPrefix) =>
        YamlFields.OptionalMap(parent, key, path) is { } map ? StringMatch(map, YamlFields.Join(path, key), allowEmptyPrefix) : null;

    /// <summary>
    /// An Istio <c>StringMatch</c>: at most one of <c>exact</c>, <c>prefix</c> or <c>regex</c>;
    /// none means "present". A prefix must not be empty (except on a uri), a regex must be valid
    /// RE2 of at most 1024 characters.
    /// </summary>
    private static StringMatchSpec StringMatch(YamlMappingNode map, string path, bool allowEmptyPrefix)
    {
        YamlFields.OnlyKeys(map, path, s_stringMatchKeys);
        if (map.Children.Count == 0)
        {
            return new StringMatchSpec(StringMatchKind.Present, string.Empty);
        }

        if (map.Children.Count != 1)
        {
            throw new InvalidFieldException(path, "must set exactly one of exact, prefix or regex");
        }

        var field = ((YamlScalarNode)map.Children.First().Key).Value!;
        var kind = field switch
        {
            "exact" => StringMatchKind.Exact,
            "prefix" => StringMatchKind.Prefix,
            _ => StringMatchKind.Regex,
        };
        var value = YamlFields.OptionalString(map, field, path) ?? string.Empty;
        if (value.Length > 1024)
        {
            throw new InvalidFieldException($"{path}.{field}", "is longer than 1024 characters");
        }

        if (value.Length == 0 && (kind == StringMatchKind.Regex || (kind == StringMatchKind.Prefix && !allowEmptyPrefix)))
        {
            throw new InvalidFieldException($"{path}.{field}", $"an empty {field} is not allowed");
        }

        if (kind == StringMatchKind.Regex)
        {
            ValidateRe2(value, $"{path}.{field}");
        }

        return new StringMatchSpec(kind, value);
    }

    /// <summary>
    /// Envoy and gRPC evaluate RE2. .NET's engine accepts a superset, so reject what RE2
    /// lacks (look-around, back-references, atomic groups) and anything .NET cannot compile.
    /// </summary>
    private static void ValidateRe2(string pattern, string field)
    {
        if (pattern.Length > 1024)
        {
            throw new InvalidFieldException(field, "a regular expression has at most 1024 characters");
        }

        if (pattern.Contains("(?=", StringComparison.Ordinal) || pattern.Contains("(?!", StringComparison.Ordinal)
            || pattern.Contains("(?<=", StringComparison.Ordinal) || pattern.Contains("(?<!", StringComparison.Ordinal)
            || pattern.Contains("(?>", StringComparison.Ordinal) || Regex.IsMatch(pattern, @"\\[1-9]"))
        {
            throw new InvalidFieldException(field, "look-around, atomic groups and back-references are not valid RE2");
        }

        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException exception)
        {
            throw new InvalidFieldException(field, $"not a valid regular expression: {exception.Message}");
        }
    }

    /// <summary>
    /// Gateway names as Istio checks them: <c>mesh</c>, a name (a DNS name, meaning one in the
    /// VirtualService's namespace), or <c>namespace/name</c> with both parts DNS labels.
    /// </summary>
    private static List<string> GatewayNames(YamlMappingNode map, string path)
    {
        var list = YamlFields.OptionalList(map, "gateways", path, maxItems: 1000);
        var names = new List<string>();
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{YamlFields.Join(path, "gateways")}[{i}]";
            var name = YamlFields.ItemString(list!.Children[i], itemPath);
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                if (name.Length > 253 || !name.Split('.').All(l => l.Length is > 0 and <= 63 && IsDnsLabelText(l)))
                {
                    throw new InvalidFieldException(itemPath, $"'{YamlFields.Truncate(name)}' is not a gateway name (mesh, a name, or namespace/name)");
                }
            }
            else
            {
                var (gatewayNamespace, gatewayName) = (name[..slash], name[(slash + 1)..]);
                if (!IsDnsLabelText(gatewayNamespace) || !IsDnsLabelText(gatewayName))
                {
                    throw new InvalidFieldException(itemPath, $"'{YamlFields.Truncate(name)}' must be namespace/name with both parts lowercase DNS labels");
                }
            }

            names.Add(name);
        }

        return names;
    }

    private static bool IsDnsLabelText(string label) =>
        label.Length is > 0 and <= 63
        && char.IsAsciiLetterLower(label[0]) | char.IsAsciiDigit(label[0])
        && char.IsAsciiLetterLower(label[^1]) | char.IsAsciiDigit(label[^1])
        && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static string? SourceNamespace(YamlMappingNode map, string path)
    {
        var value = YamlFields.OptionalString(map, "sourceNamespace", path);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        YamlFields.RequireDnsLabel(value, path + ".sourceNamespace");
        return value;
    }

    /// <summary>A label selector map, as Kubernetes checks labels: qualified names as keys, values of at most 63 characters.</summary>
    private static IReadOnlyDictionary<string, string>? Labels(YamlMappingNode map, string key, string path)
    {
        var labelMap = YamlFields.OptionalMap(map, key, path);
        if (labelMap is null || labelMap.Children.Count == 0)
        {
            return null;
        }

        if (labelMap.Children.Count > 64)
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"has {labelMap.Children.Count} labels; at most 64 are allowed");
        }

        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in labelMap.Children)
        {
            var labelName = (k as YamlScalarNode)?.Value ?? string.Empty;
            var labelPath = $"{YamlFields.Join(path, key)}[{YamlFields.Truncate(labelName)}]";
            var slash = labelName.LastIndexOf('/');
            var prefix = slash < 0 ? null : labelName[..slash];
            var local = slash < 0 ? labelName : labelName[(slash + 1)..];
            if (!IsLabelText(local, allowEmpty: false) || (prefix is not null && (prefix.Length > 253 || !prefix.Split('.').All(l => IsDnsLabelText(l)))))
            {
                throw new InvalidFieldException(labelPath, "is not a label name ([prefix/]name: letters, digits, '-', '_' and '.', at most 63 characters)");
            }

            var value = v is YamlScalarNode scalar && !YamlFields.IsNull(scalar) ? scalar.Value ?? string.Empty
                : v is YamlScalarNode ? string.Empty : throw new InvalidFieldException(labelPath, "must be a string");
            if (!IsLabelText(value, allowEmpty: true))
            {
                throw new InvalidFieldException(labelPath, "is not a label value (letters, digits, '-', '_' and '.', at most 63 characters)");
            }

            labels[labelName] = value;
        }

        return labels;
    }

    private static bool IsLabelText(string text, bool allowEmpty) =>
        text.Length == 0 ? allowEmpty
        : text.Length <= 63 && char.IsAsciiLetterOrDigit(text[0]) && char.IsAsciiLetterOrDigit(text[^1])
            && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>An IP address or a CIDR block, as Istio's ValidateIPSubnet.</summary>
    private static void ValidateSubnet(string value, string path)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? value : value[..slash];
        if (!IsIpAddress(address))
        {
            throw new InvalidFieldException(path, $"'{YamlFields.Truncate(value)}' is not an IP address or CIDR block");
        }

        if (slash >= 0)
        {
            var bits = IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            var length = value[(slash + 1)..];
            if (length.Length is 0 or > 3 || !length.All(char.IsAsciiDigit) || int.Parse(length, CultureInfo.InvariantCulture) > bits)
            {
                throw new InvalidFieldException(path, $"'{YamlFields.Truncate(value)}' is not a valid CIDR block");
            }
        }
    }

    /// <summary>A literal IPv4 (dotted quad) or IPv6 address; .NET's lenient forms such as <c>1</c> are not.</summary>
    private static bool IsIpAddress(string text) =>
        IPAddress.TryParse(text, out var address)
        && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? text.Contains(':', StringComparison.Ordinal) && !text.Contains('%', StringComparison.Ordinal)
            : address.ToString() == text);

    /// <summary>
    /// A host is a DNS name, optionally starting with <c>*.</c>, or <c>*</c> alone, as Istio's
    /// validation requires: labels of letters, digits and '-', at most 63 characters each.
    /// </summary>
    internal static void ValidateHost(string host, string field)
    {
        var name = host == "*" ? string.Empty : host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (host.Length > 253 || (host != "*" && !name.Split('.').All(IsDnsLabel)))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(host)}' is not a valid host (a DNS name, optionally starting with '*.')");
        }
    }

    /// <summary>Whether two hosts name some host in common: equal, or one a wildcard covering the other (Istio's host.Name.Matches).</summary>
    internal static bool HostsOverlap(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || a == "*" || b == "*")
        {
            return true;
        }

        static bool Covers(string wildcard, string other) =>
            wildcard.StartsWith("*.", StringComparison.Ordinal) && other.EndsWith(wildcard[1..], StringComparison.OrdinalIgnoreCase);

        return Covers(a, b) || Covers(b, a);
    }

    private static bool IsDnsLabel(string label) =>
        label.Length is > 0 and <= 63
        && char.IsAsciiLetterOrDigit(label[0])
        && char.IsAsciiLetterOrDigit(label[^1])
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
