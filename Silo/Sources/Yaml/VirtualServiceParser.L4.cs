using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>The TCP and TLS routes of a VirtualService.</summary>
internal static partial class VirtualServiceParser
{
    private static readonly HashSet<string> s_l4RouteKeys = ["match", "route"];
    private static readonly HashSet<string> s_l4MatchKeys = ["destinationSubnets", "port", "sourceSubnet", "sourceLabels", "gateways", "sourceNamespace"];
    private static readonly HashSet<string> s_tlsMatchKeys = ["sniHosts", "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"];
    private static readonly HashSet<string> s_l4DestinationKeys = ["destination", "weight"];

    private static TcpRouteSpec ParseTcpRoute(YamlMappingNode map, string path, string ns, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_l4RouteKeys);
        var matches = new List<L4MatchSpec>();
        var matchList = YamlFields.OptionalList(map, "match", path, maxItems: 1000);
        for (var i = 0; i < (matchList?.Children.Count ?? 0); i++)
        {
            var matchPath = $"{path}.match[{i}]";
            var node = matchList!.Children[i];
            problems.Check(() =>
            {
                var match = YamlFields.ItemMap(node, matchPath);
                YamlFields.OnlyKeys(match, matchPath, s_l4MatchKeys);
                string? sourceSubnet = null;
                problems.Check(() =>
                {
                    sourceSubnet = NonEmpty(YamlFields.OptionalString(match, "sourceSubnet", matchPath));
                    if (sourceSubnet is not null)
                    {
                        ValidateSubnet(sourceSubnet, matchPath + ".sourceSubnet");
                    }
                });
                var (subnets, port, labels, gateways, sourceNamespace) = L4Conditions(match, matchPath, problems);
                matches.Add(new L4MatchSpec(subnets, port, labels, gateways, sourceNamespace, sourceSubnet));
            });
        }

        return new TcpRouteSpec(matches, L4Destinations(map, path, ns, problems));
    }

    private static TlsRouteSpec ParseTlsRoute(YamlMappingNode map, string path, string ns, IReadOnlyList<string> hosts, bool appliesToMesh, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_l4RouteKeys);
        var matches = new List<TlsMatchSpec>();
        var matchList = YamlFields.OptionalList(map, "match", path, maxItems: 1000);
        if (matchList is null || matchList.Children.Count == 0)
        {
            problems.Check(() => throw new InvalidFieldException(path + ".match", "is required: a TLS route needs at least one match with sniHosts"));
        }

        for (var i = 0; i < (matchList?.Children.Count ?? 0); i++)
        {
            var matchPath = $"{path}.match[{i}]";
            var node = matchList!.Children[i];
            problems.Check(() =>
            {
                var match = YamlFields.ItemMap(node, matchPath);
                YamlFields.OnlyKeys(match, matchPath, s_tlsMatchKeys);
                var sniHosts = new List<string>();
                var sniList = Strings(match, "sniHosts", matchPath);
                if (sniList.Count == 0)
                {
                    problems.Check(() => throw new InvalidFieldException(matchPath + ".sniHosts", "is required: a TLS match needs at least one SNI host"));
                }

                foreach (var (sni, sniPath) in sniList)
                {
                    problems.Check(() =>
                    {
                        // An IP address is allowed (Istio warns that most clients send no SNI for one).
                        if (!IsIpAddress(sni))
                        {
                            ValidateHost(sni, sniPath);
                            if (appliesToMesh && sni == "*")
                            {
                                throw new InvalidFieldException(sniPath, "the wildcard * is not allowed for a VirtualService bound to the mesh");
                            }

                            if (!hosts.Any(h => IsSubsetOf(sni, h)))
                            {
                                throw new InvalidFieldException(sniPath, $"'{YamlFields.Truncate(sni)}' is not within any of the VirtualService's hosts ({string.Join(", ", hosts)})");
                            }
                        }

                        sniHosts.Add(sni.ToLowerInvariant());
                    });
                }

                var (subnets, port, labels, gateways, sourceNamespace) = L4Conditions(match, matchPath, problems);
                matches.Add(new TlsMatchSpec(sniHosts, subnets, port, labels, gateways, sourceNamespace));
            });
        }

        return new TlsRouteSpec(matches, L4Destinations(map, path, ns, problems));
    }

    /// <summary>What an L4 and a TLS match share: destination subnets, port, source labels, gateways and source namespace.</summary>
    private static (List<string> Subnets, int? Port, IReadOnlyDictionary<string, string>? Labels, List<string>? Gateways, string? SourceNamespace) L4Conditions(
        YamlMappingNode match, string path, Problems problems)
    {
        var subnets = new List<string>();
        problems.Check(() =>
        {
            foreach (var (subnet, subnetPath) in Strings(match, "destinationSubnets", path))
            {
                ValidateSubnet(subnet, subnetPath);
                subnets.Add(subnet);
            }
        });
        int? port = null;
        problems.Check(() => port = YamlFields.OptionalInt(match, "port", path, 0, 65535) is { } p and > 0 ? p : null);
        IReadOnlyDictionary<string, string>? labels = null;
        problems.Check(() => labels = Labels(match, "sourceLabels", path));
        List<string>? gateways = null;
        problems.Check(() => gateways = GatewayNames(match, path) is { Count: > 0 } g ? g : null);
        string? sourceNamespace = null;
        problems.Check(() => sourceNamespace = SourceNamespace(match, path));
        return (subnets, port, labels, gateways, sourceNamespace);
    }

    private static List<RouteDestinationSpec> L4Destinations(YamlMappingNode map, string path, string ns, Problems problems)
    {
        var routeList = YamlFields.OptionalList(map, "route", path, maxItems: 1000);
        if (routeList is null || routeList.Children.Count == 0)
        {
            throw new InvalidFieldException(path + ".route", "is required and must name at least one destination");
        }

        var destinations = new List<RouteDestinationSpec>();
        for (var i = 0; i < routeList.Children.Count; i++)
        {
            var destinationPath = $"{path}.route[{i}]";
            var node = routeList.Children[i];
            problems.Check(() =>
            {
                var item = YamlFields.ItemMap(node, destinationPath);
                YamlFields.OnlyKeys(item, destinationPath, s_l4DestinationKeys);
                int? weight = null;
                problems.Check(() => weight = YamlFields.OptionalInt(item, "weight", destinationPath, 0, int.MaxValue));
                var (host, port, subset) = Destination(YamlFields.RequiredMap(item, "destination", destinationPath), destinationPath + ".destination", ns);
                destinations.Add(new RouteDestinationSpec(host, port, weight ?? 0, subset));
            });
        }

        return Weighted(destinations, path + ".route");
    }

    /// <summary>Whether every name <paramref name="sni"/> covers is covered by <paramref name="host"/> (Istio's host.Name.SubsetOf).</summary>
    private static bool IsSubsetOf(string sni, string host)
    {
        if (string.Equals(sni, host, StringComparison.OrdinalIgnoreCase) || host == "*")
        {
            return true;
        }

        return host.StartsWith("*.", StringComparison.Ordinal) && sni.EndsWith(host[1..], StringComparison.OrdinalIgnoreCase);
    }
}
