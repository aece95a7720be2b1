using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>Builds RDS resources from a service port and the VirtualServices bound to its host.</summary>
public static class RouteTranslator
{
    /// <summary>
    /// The RouteConfiguration named <c>host:port</c>: one virtual host answering to the
    /// names Istio gives the service, with the VirtualServices' HTTP routes in order
    /// (ordered by namespace, then name), or, when no VirtualService binds the host, a
    /// single default route to the service's own cluster.
    /// </summary>
    /// <param name="host">The service's fully qualified hostname.</param>
    /// <param name="port">The service port.</param>
    /// <param name="virtualServices">The VirtualServices bound to <paramref name="host"/>.</param>
    /// <param name="destinationPorts">The ports of each destination host, to infer an omitted destination port.</param>
    public static RouteConfiguration Build(
        string host,
        int port,
        IEnumerable<VirtualServiceSpec> virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(destinationPorts);

        var name = MeshNames.HostPort(host, port);
        var virtualHost = new VirtualHost { Name = name };
        virtualHost.Domains.AddRange(Domains(host, port));

        var bound = virtualServices
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .ToList();
        if (bound.Count == 0)
        {
            virtualHost.Routes.Add(new Route
            {
                Name = "default",
                Match = new RouteMatch { Prefix = "/" },
                Route_ = new RouteAction
                {
                    Cluster = MeshNames.OutboundCluster(host, port),
                    // Istio disables Envoy's 15 s default route timeout unless a VirtualService sets one.
                    Timeout = Duration.FromTimeSpan(TimeSpan.Zero),
                },
            });
        }
        else
        {
            foreach (var virtualService in bound)
            {
                foreach (var http in virtualService.Http)
                {
                    AddRoutes(virtualHost, http, port, destinationPorts);
                }
            }
        }

        var configuration = new RouteConfiguration { Name = name };
        configuration.VirtualHosts.Add(virtualHost);
        return configuration;
    }

    /// <summary>
    /// The domains Istio puts on a service's virtual host: the FQDN and its shorter forms
    /// (<c>name.ns.svc</c>, <c>name.ns</c>, <c>name</c>), each bare and with the port.
    /// </summary>
    public static IReadOnlyList<string> Domains(string host, int port)
    {
        var names = new List<string> { host };
        var suffix = ".svc." + MeshNames.DomainSuffix;
        if (host.EndsWith(suffix, StringComparison.Ordinal))
        {
            var nameAndNamespace = host[..^suffix.Length];
            names.Add(nameAndNamespace + ".svc");
            names.Add(nameAndNamespace);
            var dot = nameAndNamespace.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                names.Add(nameAndNamespace[..dot]);
            }
        }

        var domains = new List<string>(names.Count * 2);
        foreach (var n in names)
        {
            domains.Add(n);
            domains.Add(MeshNames.HostPort(n, port));
        }

        return domains;
    }

    private static void AddRoutes(
        VirtualHost virtualHost,
        HttpRouteSpec http,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        var matches = http.Match.Count == 0
            ? [new HttpMatchSpec(null, [], null)]
            : http.Match.Where(m => m.Port is null || m.Port == port).ToList();
        foreach (var match in matches)
        {
            virtualHost.Routes.Add(new Route
            {
                Name = http.Name ?? string.Empty,
                Match = BuildMatch(match),
                Route_ = BuildAction(http, port, destinationPorts),
            });
        }
    }

    private static RouteMatch BuildMatch(HttpMatchSpec match)
    {
        var routeMatch = new RouteMatch();
        switch (match.Uri)
        {
            case null:
                routeMatch.Prefix = "/";
                break;
            case { Kind: StringMatchKind.Exact } uri:
                routeMatch.Path = uri.Value;
                break;
            case { Kind: StringMatchKind.Prefix } uri:
                routeMatch.Prefix = uri.Value;
                break;
            case { Kind: StringMatchKind.Regex } uri:
                routeMatch.SafeRegex = new RegexMatcher { Regex = uri.Value };
                break;
        }

        foreach (var header in match.Headers)
        {
            routeMatch.Headers.Add(new HeaderMatcher
            {
                Name = header.Name,
                StringMatch = header.Match.Kind switch
                {
                    StringMatchKind.Exact => new StringMatcher { Exact = header.Match.Value },
                    StringMatchKind.Prefix => new StringMatcher { Prefix = header.Match.Value },
                    _ => new StringMatcher { SafeRegex = new RegexMatcher { Regex = header.Match.Value } },
                },
            });
        }

        return routeMatch;
    }

    /// <summary>
    /// The route's action. A destination whose cluster does not exist (no such Service, or no
    /// such port) is left out of a weighted route: its share goes to the others by their
    /// weights, rather than failing that share of calls. When no destination exists (or those that
    /// do all weigh 0), the route names the clusters as declared, as Istio does, and the
    /// destination's ServiceGrain serves each such cluster with no endpoints: calls that match
    /// the route fail at once (gRPC clients with UNAVAILABLE, Envoy with 503), every other route
    /// keeps working, and no route names a cluster the proxy lacks. Dropping the route instead
    /// would send those calls to whatever route matches next, and a direct_response is refused
    /// by gRPC clients, which reject the whole RouteConfiguration.
    /// </summary>
    private static RouteAction BuildAction(
        HttpRouteSpec http,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        var action = new RouteAction();
        var destinations = RouteDestinations.Served(http, port, destinationPorts);

        if (destinations.Count == 1)
        {
            action.Cluster = DestinationCluster(destinations[0], port, destinationPorts);
        }
        else
        {
            var weighted = new WeightedCluster();
            foreach (var destination in destinations)
            {
                weighted.Clusters.Add(new WeightedCluster.Types.ClusterWeight
                {
                    Name = DestinationCluster(destination, port, destinationPorts),
                    Weight = (uint)destination.Weight,
                });
            }

            action.WeightedClusters = weighted;
        }

        var timeout = Duration.FromTimeSpan(http.Timeout ?? TimeSpan.Zero);
        action.Timeout = timeout;
        if (http.Timeout is not null)
        {
            // Proxyless gRPC honours max_stream_duration rather than timeout (gRFC A31).
            action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = timeout };
        }

        return action;
    }

    private static string DestinationCluster(
        RouteDestinationSpec destination,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts) =>
        MeshNames.OutboundCluster(destination.Host, RouteDestinations.Port(destination, port, destinationPorts), destination.Subset ?? string.Empty);
}
