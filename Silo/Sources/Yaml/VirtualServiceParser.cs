using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>VirtualService</c> (networking.istio.io v1, v1beta1, v1alpha3)
/// as Istio's validation does (<c>pkg/config/validation</c>): hosts, gateways, exportTo, and the
/// HTTP, TCP and TLS routes with every field Istio defines. Every problem is reported with its
/// field path, not only the first. The few fields Istio itself refuses (<c>exponentialDelay</c>,
/// <c>http2Error</c>) are refused with Istio's reason.
/// </summary>
internal static partial class VirtualServiceParser
{
    /// <summary>The gateway name that means "sidecars and proxyless clients".</summary>
    public const string MeshGateway = VirtualServiceSpec.MeshGateway;

    private static readonly HashSet<string> s_specKeys = ["hosts", "gateways", "http", "tcp", "tls", "exportTo"];
    private static readonly HashSet<string> s_httpKeys =
    [
        "name", "match", "route", "redirect", "directResponse", "delegate", "rewrite", "timeout", "retries", "fault",
        "mirror", "mirrors", "mirrorPercent", "mirrorPercentage", "corsPolicy", "headers",
    ];

    private static readonly HashSet<string> s_httpDestinationKeys = ["destination", "weight", "headers"];
    private static readonly HashSet<string> s_destinationKeys = ["host", "subset", "port"];

    /// <summary>Parses and validates the whole VirtualService in <paramref name="ns"/>, whatever gateways it binds to.</summary>
    public static VirtualServiceSpec ParseSpec(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        // Gateways first: whether the VirtualService applies to the mesh changes how hosts are checked.
        var gateways = new List<string>();
        problems.Check(() => gateways.AddRange(GatewayNames(spec, "spec")));
        var appliesToMesh = gateways.Count == 0 || gateways.Contains(MeshGateway, StringComparer.Ordinal);

        var rawHosts = new List<string>();
        var hosts = new List<string>();
        var hostList = YamlFields.OptionalList(spec, "hosts", "spec", maxItems: 1000);
        var allHostsValid = true;
        for (var i = 0; i < (hostList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.hosts[{i}]";
            var node = hostList!.Children[i];
            var valid = Try(problems, () =>
            {
                var host = YamlFields.ItemString(node, path);
                if (!IsIpAddress(host))
                {
                    ValidateHost(host, path);
                }

                if (appliesToMesh && host == "*")
                {
                    throw new InvalidFieldException(path, "the wildcard host * is not allowed for a VirtualService bound to the mesh");
                }

                rawHosts.Add(host);
                hosts.Add(MeshNames.ResolveHost(host, ns));
            });
            allHostsValid &= valid;
        }

        if (allHostsValid)
        {
            for (var i = 0; i < hosts.Count; i++)
            {
                for (var j = i + 1; j < hosts.Count; j++)
                {
                    if (HostsOverlap(hosts[i], hosts[j]))
                    {
                        var (a, b) = (hosts[i], hosts[j]);
                        var at = j;
                        problems.Check(() => throw new InvalidFieldException($"spec.hosts[{at}]", $"'{b}' overlaps '{a}' earlier in the list; hosts must not repeat"));
                    }
                }
            }
        }

        var isDelegate = hostList is null || hostList.Children.Count == 0;
        var httpList = YamlFields.OptionalList(spec, "http", "spec", maxItems: 10_000);
        var tcpList = YamlFields.OptionalList(spec, "tcp", "spec", maxItems: 10_000);
        var tlsList = YamlFields.OptionalList(spec, "tls", "spec", maxItems: 10_000);
        if (isDelegate)
        {
            // A VirtualService without hosts is a delegate: only its HTTP routes are used, through a root's delegate.
            if (gateways.Count > 0)
            {
                problems.Check(() => throw new InvalidFieldException("spec.gateways", "a delegate VirtualService (one without hosts) must not name gateways"));
            }

            if (tcpList is { Children.Count: > 0 })
            {
                problems.Check(() => throw new InvalidFieldException("spec.tcp", "a delegate VirtualService (one without hosts) must not have tcp routes"));
            }

            if (tlsList is { Children.Count: > 0 })
            {
                problems.Check(() => throw new InvalidFieldException("spec.tls", "a delegate VirtualService (one without hosts) must not have tls routes"));
            }
        }

        if ((httpList?.Children.Count ?? 0) + (tcpList?.Children.Count ?? 0) + (tlsList?.Children.Count ?? 0) == 0)
        {
            problems.Check(() => throw new InvalidFieldException(isDelegate && hostList is null ? "spec.hosts" : "spec.http",
                isDelegate && hostList is null
                    ? "is required and must name at least one host (or, for a delegate, give http routes)"
                    : "http, tcp or tls must have at least one route"));
        }

        var context = new RouteContext(ns, isDelegate, appliesToMesh);
        var http = new List<HttpRouteSpec>();
        for (var i = 0; i < (httpList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.http[{i}]";
            var node = httpList!.Children[i];
            problems.Check(() => http.Add(ParseHttpRoute(YamlFields.ItemMap(node, path), path, context, problems)));
        }

        var tcp = new List<TcpRouteSpec>();
        for (var i = 0; i < (tcpList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.tcp[{i}]";
            var node = tcpList!.Children[i];
            problems.Check(() => tcp.Add(ParseTcpRoute(YamlFields.ItemMap(node, path), path, ns, problems)));
        }

        var tls = new List<TlsRouteSpec>();
        for (var i = 0; i < (tlsList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.tls[{i}]";
            var node = tlsList!.Children[i];
            problems.Check(() => tls.Add(ParseTlsRoute(YamlFields.ItemMap(node, path), path, ns, rawHosts, appliesToMesh, problems)));
        }

        var exportTo = new List<string>();
        problems.Check(() => exportTo.AddRange(ExportTo(spec, ns)));

        problems.ThrowIfAny();
        return new VirtualServiceSpec(ns, name, hosts, http, gateways, exportTo, tcp, tls);
    }

    private static HttpRouteSpec ParseHttpRoute(YamlMappingNode map, string path, RouteContext context, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_httpKeys);
        string? name = null;
        problems.Check(() => name = YamlFields.OptionalString(map, "name", path));

        var matches = new List<HttpMatchSpec>();
        var matchList = YamlFields.OptionalList(map, "match", path, maxItems: 1000);
        for (var i = 0; i < (matchList?.Children.Count ?? 0); i++)
        {
            var matchPath = $"{path}.match[{i}]";
            var node = matchList!.Children[i];
            problems.Check(() => matches.Add(ParseHttpMatch(YamlFields.ItemMap(node, matchPath), matchPath, context, problems)));
        }

        var has = new HashSet<string>(map.Children.Keys.OfType<YamlScalarNode>().Where(k => IsSet(map, k.Value!)).Select(k => k.Value!), StringComparer.Ordinal);
        void Conflict(string field, string reason) => problems.Check(() => throw new InvalidFieldException(YamlFields.Join(path, field), reason));

        // Istio's rules on which actions go together (validateHTTPRouteConflict).
        if (has.Contains("delegate") && !context.IsDelegate)
        {
            if (has.Contains("redirect"))
            {
                Conflict("redirect", "a route with a delegate must not also redirect");
            }

            if (has.Contains("route"))
            {
                Conflict("route", "a route with a delegate must not also have route destinations");
            }
        }
        else
        {
            if (context.IsDelegate && has.Contains("delegate"))
            {
                Conflict("delegate", "a delegate VirtualService's routes cannot delegate again");
            }

            if (has.Contains("redirect"))
            {
                foreach (var other in new[] { "route", "fault", "rewrite", "directResponse" })
                {
                    if (has.Contains(other))
                    {
                        Conflict(other, $"a route that redirects cannot also have {other}");
                    }
                }
            }
            else if (has.Contains("directResponse"))
            {
                foreach (var other in new[] { "route", "fault", "rewrite" })
                {
                    if (has.Contains(other))
                    {
                        Conflict(other, $"a route with a directResponse cannot also have {other}");
                    }
                }
            }
            else if (!has.Contains("route") && !has.Contains("delegate"))
            {
                Conflict("route", "is required (or redirect, or directResponse) and must name at least one destination");
            }
        }

        if (has.Contains("mirror") && has.Contains("mirrors"))
        {
            Conflict("mirrors", "set either mirror or mirrors, not both");
        }

        var route = new List<RouteDestinationSpec>();
        problems.Check(() => route.AddRange(HttpDestinations(map, path, context.Namespace, problems)));

        HttpRedirectSpec? redirect = null;
        problems.Check(() => redirect = YamlFields.OptionalMap(map, "redirect", path) is { } m ? Redirect(m, path + ".redirect", matches) : null);
        HttpDirectResponseSpec? directResponse = null;
        problems.Check(() => directResponse = YamlFields.OptionalMap(map, "directResponse", path) is { } m ? DirectResponse(m, path + ".directResponse") : null);
        DelegateSpec? @delegate = null;
        problems.Check(() => @delegate = YamlFields.OptionalMap(map, "delegate", path) is { } m ? Delegate(m, path + ".delegate", context.Namespace) : null);
        HttpRewriteSpec? rewrite = null;
        problems.Check(() => rewrite = YamlFields.OptionalMap(map, "rewrite", path) is { } m ? Rewrite(m, path + ".rewrite") : null);
        TimeSpan? timeout = null;
        problems.Check(() => timeout = Duration(map, "timeout", path, allowZero: true));
        HttpRetrySpec? retries = null;
        problems.Check(() => retries = YamlFields.OptionalMap(map, "retries", path) is { } m ? Retries(m, path + ".retries") : null);
        HttpFaultSpec? fault = null;
        problems.Check(() => fault = YamlFields.OptionalMap(map, "fault", path) is { } m ? Fault(m, path + ".fault", problems) : null);
        List<HttpMirrorSpec>? mirrors = null;
        problems.Check(() => mirrors = Mirrors(map, path, context.Namespace, problems));
        HeadersSpec? headers = null;
        problems.Check(() => headers = YamlFields.OptionalMap(map, "headers", path) is { } m ? Headers(m, path + ".headers", problems) : null);
        CorsPolicySpec? cors = null;
        problems.Check(() => cors = YamlFields.OptionalMap(map, "corsPolicy", path) is { } m ? Cors(m, path + ".corsPolicy", problems) : null);

        // The authority is rewritten in one place only (validateAuthorityRewrite).
        var authorities = (rewrite?.Authority is null ? 0 : 1)
            + (headers?.Request?.Set.Count(h => IsAuthorityHeader(h.Name)) ?? 0)
            + (headers?.Request?.Add.Count(h => IsAuthorityHeader(h.Name)) ?? 0);
        if (authorities > 1)
        {
            Conflict("headers.request", "the authority is set more than once (rewrite.authority, or :authority/host in headers.request set/add)");
        }

        return new HttpRouteSpec(name, matches, route, timeout, redirect, directResponse, @delegate, rewrite, retries, fault,
            mirrors, headers, cors);
    }

    private static List<RouteDestinationSpec> HttpDestinations(YamlMappingNode map, string path, string ns, Problems problems)
    {
        var routeList = YamlFields.OptionalList(map, "route", path, maxItems: 1000);
        var destinations = new List<RouteDestinationSpec>();
        for (var i = 0; i < (routeList?.Children.Count ?? 0); i++)
        {
            var destinationPath = $"{path}.route[{i}]";
            var node = routeList!.Children[i];
            problems.Check(() =>
            {
                var item = YamlFields.ItemMap(node, destinationPath);
                YamlFields.OnlyKeys(item, destinationPath, s_httpDestinationKeys);
                HeadersSpec? headers = null;
                problems.Check(() => headers = YamlFields.OptionalMap(item, "headers", destinationPath) is { } m ? Headers(m, destinationPath + ".headers", problems) : null);
                int? weight = null;
                problems.Check(() => weight = YamlFields.OptionalInt(item, "weight", destinationPath, 0, int.MaxValue));
                var (host, port, subset) = Destination(YamlFields.RequiredMap(item, "destination", destinationPath), destinationPath + ".destination", ns);
                destinations.Add(new RouteDestinationSpec(host, port, weight ?? 0, subset, headers));
            });
        }

        return Weighted(destinations, path + ".route");
    }

    /// <summary>
    /// Istio's weights: a single destination takes everything (100); several must not add up
    /// to 0, and one without a weight weighs 0.
    /// </summary>
    private static List<RouteDestinationSpec> Weighted(List<RouteDestinationSpec> destinations, string path)
    {
        if (destinations.Count == 1)
        {
            return [destinations[0] with { Weight = 100 }];
        }

        var total = destinations.Sum(d => (long)d.Weight);
        if (destinations.Count > 1 && total == 0)
        {
            throw new InvalidFieldException(path, "the destination weights add up to 0, so no traffic could be routed (give each destination a weight)");
        }

        if (total > uint.MaxValue)
        {
            throw new InvalidFieldException(path, $"the destination weights add up to {total}, more than {uint.MaxValue}");
        }

        return destinations;
    }

    /// <summary>An Istio <c>Destination</c>: a host (no wildcard), an optional subset and port.</summary>
    private static (string Host, int? Port, string? Subset) Destination(YamlMappingNode destination, string path, string ns)
    {
        YamlFields.OnlyKeys(destination, path, s_destinationKeys);
        var host = YamlFields.RequiredString(destination, "host", path);
        ValidateHost(host, path + ".host");
        if (host.Contains('*', StringComparison.Ordinal))
        {
            throw new InvalidFieldException(path + ".host", "a destination cannot be a wildcard");
        }

        var subset = YamlFields.OptionalString(destination, "subset", path);
        if (subset is not null)
        {
            YamlFields.RequireDnsLabel(subset, path + ".subset");
        }

        var portMap = YamlFields.OptionalMap(destination, "port", path);
        int? port = null;
        if (portMap is not null)
        {
            YamlFields.OnlyKeys(portMap, path + ".port", new HashSet<string> { "number" });
            port = YamlFields.OptionalInt(portMap, "number", path + ".port", 1, 65535);
        }

        return (MeshNames.ResolveHost(host, ns), port, subset);
    }

    private static IEnumerable<string> ExportTo(YamlMappingNode spec, string ns)
    {
        var list = YamlFields.OptionalList(spec, "exportTo", "spec", maxItems: 1000);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var values = new List<string>();
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var path = $"spec.exportTo[{i}]";
            var value = YamlFields.ItemString(list!.Children[i], path);
            if (value is not ("." or "*"))
            {
                YamlFields.RequireDnsLabel(value, path);
            }

            if (!seen.Add(value == "." ? ns : value))
            {
                throw new InvalidFieldException(path, value == "." || value == ns
                    ? $"'.' and '{ns}' both name this namespace; exportTo entries must not repeat"
                    : $"'{value}' is listed twice");
            }

            values.Add(value);
        }

        if (values.Contains("*") && values.Count > 1)
        {
            throw new InvalidFieldException("spec.exportTo", "'*' (every namespace) cannot be listed with other entries");
        }

        return values;
    }

    /// <summary>Runs <paramref name="validate"/>; false, with its problem kept, when it failed.</summary>
    private static bool Try(Problems problems, Action validate)
    {
        try
        {
            validate();
            return true;
        }
        catch (InvalidFieldException problem)
        {
            problems.Check(() => throw problem);
            return false;
        }
    }

    /// <summary>Whether a field is given: not null, and for <c>route</c> not an empty list (Istio's len(route) == 0).</summary>
    private static bool IsSet(YamlMappingNode map, string key) => YamlFields.Get(map, key) switch
    {
        null => false,
        YamlScalarNode scalar => !YamlFields.IsNull(scalar),
        YamlSequenceNode sequence => key != "route" || sequence.Children.Count > 0,
        _ => true,
    };

    private static bool IsAuthorityHeader(string name) =>
        string.Equals(name, ":authority", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the routes of one VirtualService are checked against.</summary>
    private sealed record RouteContext(string Namespace, bool IsDelegate, bool AppliesToMesh);
}
