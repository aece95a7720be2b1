using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>VirtualService</c>. Fields that would change routing but
/// are not implemented yet are rejected by name rather than silently dropped, so the mesh
/// never routes differently from what the operator wrote.
/// </summary>
internal static class VirtualServiceParser
{
    /// <summary>The gateway name that means "sidecars and proxyless clients".</summary>
    public const string MeshGateway = "mesh";

    private static readonly HashSet<string> s_specKeys = ["hosts", "gateways", "http", "tcp", "tls", "exportTo"];
    private static readonly HashSet<string> s_httpKeys = ["name", "match", "route", "timeout", "retries", "corsPolicy"];
    private static readonly Dictionary<string, string> s_httpUnsupported = new()
    {
        ["redirect"] = "HTTP redirects are not supported yet",
        ["rewrite"] = "rewrites are not supported yet",
        ["fault"] = "fault injection is not supported yet",
        ["mirror"] = "mirroring is not supported yet",
        ["mirrors"] = "mirroring is not supported yet",
        ["mirrorPercentage"] = "mirroring is not supported yet",
        ["delegate"] = "delegate VirtualServices are not supported yet",
        ["directResponse"] = "direct responses are not supported yet",
        ["headers"] = "header manipulation is not supported yet",
    };

    private static readonly HashSet<string> s_matchKeys = ["name", "uri", "headers", "port"];
    private static readonly Dictionary<string, string> s_matchUnsupported = new()
    {
        ["method"] = "matching on method is not supported yet",
        ["authority"] = "matching on authority is not supported yet",
        ["scheme"] = "matching on scheme is not supported yet",
        ["queryParams"] = "matching on query parameters is not supported yet",
        ["ignoreUriCase"] = "ignoreUriCase is not supported yet",
        ["withoutHeaders"] = "withoutHeaders is not supported yet",
        ["sourceLabels"] = "sourceLabels is not supported yet",
        ["sourceNamespace"] = "sourceNamespace is not supported yet",
        ["gateways"] = "per-match gateways are not supported yet",
        ["statPrefix"] = "statPrefix is not supported yet",
    };

    private static readonly HashSet<string> s_destinationKeys = ["destination", "weight"];
    private static readonly HashSet<string> s_stringMatchKeys = ["exact", "prefix", "regex"];

    /// <summary>
    /// Parses the VirtualService; returns null when it binds only to gateways (no <c>mesh</c>),
    /// which sidecars and proxyless clients do not see.
    /// </summary>
    public static VirtualServiceSpec? Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);

        var hostList = YamlFields.OptionalList(spec, "hosts", "spec", maxItems: 1000);
        if (hostList is null || hostList.Children.Count == 0)
        {
            throw new InvalidFieldException("spec.hosts", "is required and must name at least one host");
        }

        var problems = new Problems();
        var hosts = new List<string>(hostList.Children.Count);
        for (var i = 0; i < hostList.Children.Count; i++)
        {
            var path = $"spec.hosts[{i}]";
            var node = hostList.Children[i];
            problems.Check(() =>
            {
                var host = YamlFields.ItemString(node, path);
                ValidateHost(host, path);
                hosts.Add(MeshNames.ResolveHost(host, ns));
            });
        }

        var http = new List<HttpRouteSpec>();
        var httpList = YamlFields.OptionalList(spec, "http", "spec", maxItems: 10_000);
        for (var i = 0; i < (httpList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.http[{i}]";
            var node = httpList!.Children[i];
            problems.Check(() => http.Add(ParseHttpRoute(YamlFields.ItemMap(node, path), path, ns)));
        }

        problems.ThrowIfAny();

        var gateways = YamlFields.OptionalList(spec, "gateways", "spec", maxItems: 1000);
        if (gateways is not null && gateways.Children.Count > 0)
        {
            var names = gateways.Children.Select((g, i) => YamlFields.ItemString(g, $"spec.gateways[{i}]")).ToList();
            if (!names.Contains(MeshGateway, StringComparer.Ordinal))
            {
                return null;
            }
        }

        return new VirtualServiceSpec(ns, name, hosts, http);
    }

    private static HttpRouteSpec ParseHttpRoute(YamlMappingNode map, string path, string ns)
    {
        YamlFields.OnlyKeys(map, path, s_httpKeys, s_httpUnsupported);
        var name = YamlFields.OptionalString(map, "name", path);

        var matches = new List<HttpMatchSpec>();
        var matchList = YamlFields.OptionalList(map, "match", path, maxItems: 1000);
        for (var i = 0; i < (matchList?.Children.Count ?? 0); i++)
        {
            var matchPath = $"{path}.match[{i}]";
            var match = YamlFields.ItemMap(matchList!.Children[i], matchPath);
            YamlFields.OnlyKeys(match, matchPath, s_matchKeys, s_matchUnsupported);
            var uriMap = YamlFields.OptionalMap(match, "uri", matchPath);
            var uri = uriMap is null ? null : ParseStringMatch(uriMap, matchPath + ".uri");
            if (uri is { Kind: not StringMatchKind.Regex } && !uri.Value.StartsWith('/'))
            {
                throw new InvalidFieldException(matchPath + ".uri", $"a path must start with '/', not '{YamlFields.Truncate(uri.Value)}'");
            }

            var headers = new List<HeaderMatchSpec>();
            var headerMap = YamlFields.OptionalMap(match, "headers", matchPath);
            foreach (var (key, value) in headerMap?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
            {
                var headerName = (key as YamlScalarNode)?.Value ?? string.Empty;
                var headerPath = $"{matchPath}.headers[{headerName}]";
                if (headerName.Length == 0 || headerName.Length > 256 || headerName.Any(c => char.IsWhiteSpace(c) || char.IsAsciiLetterUpper(c) || c > 127))
                {
                    throw new InvalidFieldException(headerPath, "a header name must be lowercase ASCII without spaces");
                }

                headers.Add(new HeaderMatchSpec(headerName, ParseStringMatch(YamlFields.ItemMap(value, headerPath), headerPath)));
            }

            headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var port = YamlFields.OptionalInt(match, "port", matchPath, 1, 65535);
            matches.Add(new HttpMatchSpec(uri, headers, port));
        }

        var routeList = YamlFields.OptionalList(map, "route", path, maxItems: 1000);
        if (routeList is null || routeList.Children.Count == 0)
        {
            throw new InvalidFieldException(path + ".route", "is required and must name at least one destination");
        }

        var destinations = new List<(string Host, int? Port, int? Weight)>();
        for (var i = 0; i < routeList.Children.Count; i++)
        {
            var destinationPath = $"{path}.route[{i}]";
            var item = YamlFields.ItemMap(routeList.Children[i], destinationPath);
            YamlFields.OnlyKeys(item, destinationPath, s_destinationKeys, new Dictionary<string, string> { ["headers"] = "header manipulation is not supported yet" });
            var destination = YamlFields.RequiredMap(item, "destination", destinationPath);
            var destinationFieldPath = destinationPath + ".destination";
            YamlFields.OnlyKeys(destination, destinationFieldPath, new HashSet<string> { "host", "port" },
                new Dictionary<string, string> { ["subset"] = "subsets need DestinationRule, which is not supported yet" });
            var host = YamlFields.RequiredString(destination, "host", destinationFieldPath);
            ValidateHost(host, destinationFieldPath + ".host");
            if (host.Contains('*', StringComparison.Ordinal))
            {
                throw new InvalidFieldException(destinationFieldPath + ".host", "a destination cannot be a wildcard");
            }

            var portMap = YamlFields.OptionalMap(destination, "port", destinationFieldPath);
            var port = portMap is null ? null : YamlFields.OptionalInt(portMap, "number", destinationFieldPath + ".port", 1, 65535);
            var weight = YamlFields.OptionalInt(item, "weight", destinationPath, 0, 100);
            destinations.Add((MeshNames.ResolveHost(host, ns), port, weight));
        }

        List<RouteDestinationSpec> route;
        if (destinations.Count == 1)
        {
            route = [new RouteDestinationSpec(destinations[0].Host, destinations[0].Port, 100)];
        }
        else if (destinations.All(d => d.Weight is null))
        {
            route = destinations.Select(d => new RouteDestinationSpec(d.Host, d.Port, 1)).ToList();
        }
        else
        {
            route = destinations.Select(d => new RouteDestinationSpec(d.Host, d.Port, d.Weight ?? 0)).ToList();
            if (route.Sum(d => d.Weight) == 0)
            {
                throw new InvalidFieldException(path + ".route", "the destination weights add up to 0, so no traffic could be routed");
            }
        }

        TimeSpan? timeout = null;
        var timeoutText = YamlFields.OptionalString(map, "timeout", path);
        if (timeoutText is not null)
        {
            if (!GoDuration.TryParse(timeoutText, out var parsed))
            {
                throw new InvalidFieldException(path + ".timeout", $"'{YamlFields.Truncate(timeoutText)}' is not a duration such as 1.5s or 300ms");
            }

            timeout = parsed;
        }

        return new HttpRouteSpec(name, matches, route, timeout);
    }

    private static StringMatchSpec ParseStringMatch(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_stringMatchKeys);
        if (map.Children.Count != 1)
        {
            throw new InvalidFieldException(path, "must set exactly one of exact, prefix or regex");
        }

        var (key, _) = map.Children.First();
        var kind = ((YamlScalarNode)key).Value switch
        {
            "exact" => StringMatchKind.Exact,
            "prefix" => StringMatchKind.Prefix,
            _ => StringMatchKind.Regex,
        };
        var field = ((YamlScalarNode)key).Value!;
        var value = YamlFields.OptionalString(map, field, path);
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidFieldException($"{path}.{field}", "must not be empty");
        }

        if (value.Length > 1024)
        {
            throw new InvalidFieldException($"{path}.{field}", "is longer than 1024 characters");
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

    private static bool IsDnsLabel(string label) =>
        label.Length is > 0 and <= 63
        && char.IsAsciiLetterOrDigit(label[0])
        && char.IsAsciiLetterOrDigit(label[^1])
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
