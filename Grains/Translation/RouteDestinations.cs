using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Where a VirtualService route destination points: one rule, shared by the route
/// translator and the analyzer, so what is served and what is reported agree.
/// </summary>
public static class RouteDestinations
{
    /// <summary>
    /// The destination's port: the one it names; else the destination's only port when it has
    /// exactly one; else the port being routed, as Istio infers it.
    /// </summary>
    public static int Port(RouteDestinationSpec destination, int routedPort, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        return destination.Port
            ?? (destinationPorts.TryGetValue(destination.Host, out var ports) && ports.Count == 1 ? ports[0] : routedPort);
    }

    /// <summary>
    /// Whether the destination's cluster exists: its host is a Service of the mesh
    /// (<paramref name="destinationPorts"/> holds the ports of every destination that is one)
    /// with that port.
    /// </summary>
    public static bool Exists(RouteDestinationSpec destination, int routedPort, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        return destinationPorts.TryGetValue(destination.Host, out var ports)
            && ports.Contains(Port(destination, routedPort, destinationPorts));
    }

    /// <summary>Whether an HTTP route applies on <paramref name="routedPort"/>: it has no match, or a match without a port or with that port.</summary>
    public static bool AppliesTo(HttpRouteSpec http, int routedPort)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Match.Count == 0 || http.Match.Any(m => m.Port is null || m.Port == routedPort);
    }

    /// <summary>
    /// The destinations a route sends to on <paramref name="routedPort"/>: those whose cluster
    /// exists; or, when none of them is left to take traffic (none exists, or those that do all
    /// weigh 0), every declared one, so that calls on the route fail rather than fall through.
    /// </summary>
    public static IReadOnlyList<RouteDestinationSpec> Served(HttpRouteSpec http, int routedPort, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(http);
        var existing = http.Route.Where(d => Exists(d, routedPort, destinationPorts)).ToList();
        return existing.Count == 0 || (http.Route.Count > 1 && existing.Sum(d => (long)d.Weight) == 0) ? http.Route : existing;
    }

    /// <summary>
    /// Every destination of <paramref name="virtualService"/> whose cluster does not exist, per
    /// port its hosts' Services route: the HTTP route's index, the routed port and the
    /// destination's index.
    /// </summary>
    public static IEnumerable<(int Http, int RoutedPort, int Destination)> Missing(VirtualServiceSpec virtualService, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var routedPorts = new SortedSet<int>(virtualService.Hosts.SelectMany(h => destinationPorts.GetValueOrDefault(h) ?? []));
        for (var h = 0; h < virtualService.Http.Count; h++)
        {
            var http = virtualService.Http[h];
            foreach (var port in routedPorts.Where(p => AppliesTo(http, p)))
            {
                for (var d = 0; d < http.Route.Count; d++)
                {
                    if (!Exists(http.Route[d], port, destinationPorts))
                    {
                        yield return (h, port, d);
                    }
                }
            }
        }
    }

    /// <summary>Every host <paramref name="virtualService"/> sends traffic to: its HTTP, TCP and TLS route destinations and its mirrors.</summary>
    public static IEnumerable<string> Hosts(VirtualServiceSpec virtualService)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        return virtualService.Http.SelectMany(h => h.Route.Select(d => d.Host).Concat((h.Mirrors ?? []).Select(m => m.Host)))
            .Concat((virtualService.Tcp ?? []).SelectMany(t => t.Route).Select(d => d.Host))
            .Concat((virtualService.Tls ?? []).SelectMany(t => t.Route).Select(d => d.Host));
    }
}
