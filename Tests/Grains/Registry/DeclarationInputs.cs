using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Registry;

/// <summary>
/// The oracle for <see cref="Mesh.Orleans.Grains.Registry.ClusterIndex"/>: the inputs of a whole
/// declaration computed in one pass, the way the ClusterGrain did before it kept indexes
/// (written independently of the index, so the two can be compared after any sequence of changes).
/// Splits one member cluster's declaration into per-hostname inputs: the Service, the
/// EndpointSlices labelled with its name, the VirtualServices whose hosts include it, and
/// the ports of every destination those VirtualServices name.
/// </summary>
public static class DeclarationInputs
{
    /// <summary>
    /// Builds the input of every hostname the cluster declares anything for.
    /// </summary>
    public static IReadOnlyDictionary<string, ServiceInput> Build(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);

        var services = new Dictionary<string, MeshService>(StringComparer.Ordinal);
        foreach (var service in config.Services)
        {
            services[service.Hostname] = service;
        }

        var slicesByHost = config.EndpointSlices
            .GroupBy(s => s.ServiceHostname, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

        var virtualServicesByHost = new Dictionary<string, List<VirtualServiceSpec>>(StringComparer.Ordinal);
        foreach (var virtualService in config.VirtualServices)
        {
            foreach (var host in virtualService.Hosts.Distinct(StringComparer.Ordinal))
            {
                if (!virtualServicesByHost.TryGetValue(host, out var list))
                {
                    list = [];
                    virtualServicesByHost.Add(host, list);
                }

                list.Add(virtualService);
            }
        }

        var referenced = ReferencedPorts(config.VirtualServices, services);
        var hosts = new SortedSet<string>(services.Keys, StringComparer.Ordinal);
        hosts.UnionWith(slicesByHost.Keys);
        hosts.UnionWith(virtualServicesByHost.Keys);
        hosts.UnionWith(referenced.Keys);

        var inputs = new Dictionary<string, ServiceInput>(StringComparer.Ordinal);
        foreach (var host in hosts)
        {
            var virtualServices = virtualServicesByHost.TryGetValue(host, out var bound)
                ? bound.OrderBy(v => v.Namespace, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal).ToList()
                : [];
            var destinationPorts = new SortedDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
            foreach (var destination in virtualServices.SelectMany(v => v.Http).SelectMany(h => h.Route))
            {
                if (services.TryGetValue(destination.Host, out var target))
                {
                    destinationPorts[destination.Host] = target.Ports.Select(p => p.Port).ToList();
                }
            }

            var input = new ServiceInput(
                services.GetValueOrDefault(host),
                slicesByHost.TryGetValue(host, out var slices) ? slices : [],
                virtualServices,
                destinationPorts,
                referenced.TryGetValue(host, out var ports) ? [.. ports] : null);
            inputs.Add(host, input);
        }

        return inputs;
    }

    /// <summary>
    /// Per destination host, the ports on which routes name a cluster of it that its Service
    /// does not define (no Service, or not that port), and the objects that name them.
    /// </summary>
    private static Dictionary<string, SortedSet<int>> ReferencedPorts(
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        Dictionary<string, MeshService> services)
    {
        var ports = services.ToDictionary(p => p.Key, p => (IReadOnlyList<int>)p.Value.Ports.Select(x => x.Port).ToList(), StringComparer.Ordinal);
        var referenced = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var virtualService in virtualServices)
        {
            foreach (var (h, port, d) in RouteDestinations.Missing(virtualService, ports))
            {
                var destination = virtualService.Http[h].Route[d];
                if (!referenced.TryGetValue(destination.Host, out var set))
                {
                    referenced[destination.Host] = set = [];
                }

                set.Add(RouteDestinations.Port(destination, port, ports));
            }
        }

        return referenced;
    }
}
