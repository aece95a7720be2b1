using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// The subset clusters a VirtualService's routes name: one rule, shared by the registry (which
/// host must serve which subset cluster) and the analyzer (which are missing).
/// </summary>
public static class SubsetReferences
{
    /// <summary>
    /// Every destination of <paramref name="virtualService"/> that names a subset, per port its
    /// hosts' Services route it on: the HTTP route's index, the destination's index, and the
    /// cluster it names (destination host, port as <see cref="RouteDestinations.Port"/> infers it,
    /// subset).
    /// </summary>
    public static IEnumerable<(int Http, int Destination, string Host, int Port, string Subset)> Named(
        VirtualServiceSpec virtualService,
        IReadOnlyDictionary<string, IReadOnlyList<int>> ports)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(ports);
        SortedSet<int>? routedPorts = null;
        for (var h = 0; h < virtualService.Http.Count; h++)
        {
            var http = virtualService.Http[h];
            for (var d = 0; d < http.Route.Count; d++)
            {
                var destination = http.Route[d];
                if (string.IsNullOrEmpty(destination.Subset))
                {
                    continue;
                }

                routedPorts ??= new SortedSet<int>(virtualService.Hosts.SelectMany(host => ports.GetValueOrDefault(host) ?? []));
                foreach (var port in routedPorts.Where(p => RouteDestinations.AppliesTo(http, p)))
                {
                    yield return (h, d, destination.Host, RouteDestinations.Port(destination, port, ports), destination.Subset);
                }
            }
        }
    }

    /// <summary>
    /// Whether host <paramref name="host"/>, with its Service's <paramref name="hostPorts"/> (null
    /// when it has no Service) and its merged <paramref name="rule"/>, lacks cluster
    /// (<paramref name="port"/>, <paramref name="subset"/>).
    /// </summary>
    public static bool Lacks(IReadOnlyList<int>? hostPorts, DestinationRuleSpec? rule, int port, string subset) =>
        hostPorts is null || !hostPorts.Contains(port) || rule is null || !rule.Subsets.Any(s => string.Equals(s.Name, subset, StringComparison.Ordinal));
}
