using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// Splits one member cluster's declaration into per-hostname inputs: the Service, the
/// EndpointSlices labelled with its name, the VirtualServices whose hosts include it, and
/// the ports of every destination those VirtualServices name.
/// </summary>
public static class ServiceInputBuilder
{
    /// <summary>
    /// Builds the input of every hostname the cluster declares anything for, and for each the objects its input was made from
    /// (its Service, slices, VirtualServices and their destinations' Services), so a caller
    /// holding the same object instances as last time knows the input is unchanged without
    /// hashing it.
    /// </summary>
    public static IReadOnlyDictionary<string, ServiceInput> Build(ClusterConfig config, out IReadOnlyDictionary<string, object?[]> sources)
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

        var referenced = ReferencedPorts(config.VirtualServices, services, out var referencedBy);
        var hosts = new SortedSet<string>(services.Keys, StringComparer.Ordinal);
        hosts.UnionWith(slicesByHost.Keys);
        hosts.UnionWith(virtualServicesByHost.Keys);
        hosts.UnionWith(referenced.Keys);

        var inputs = new Dictionary<string, ServiceInput>(StringComparer.Ordinal);
        var made = new Dictionary<string, object?[]>(StringComparer.Ordinal);
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
            made.Add(host, [
                input.Service,
                .. input.EndpointSlices,
                .. input.VirtualServices,
                .. virtualServices.SelectMany(v => v.Http).SelectMany(h => h.Route).Select(d => (object?)services.GetValueOrDefault(d.Host)),
                .. referencedBy.GetValueOrDefault(host) ?? [],
            ]);
        }

        sources = made;
        return inputs;
    }

    /// <summary>
    /// Per destination host, the ports on which routes name a cluster of it that its Service
    /// does not define (no Service, or not that port), and the objects that name them.
    /// </summary>
    private static Dictionary<string, SortedSet<int>> ReferencedPorts(
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        Dictionary<string, MeshService> services,
        out Dictionary<string, List<object?>> referencedBy)
    {
        var ports = services.ToDictionary(p => p.Key, p => (IReadOnlyList<int>)p.Value.Ports.Select(x => x.Port).ToList(), StringComparer.Ordinal);
        var referenced = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        referencedBy = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        foreach (var virtualService in virtualServices)
        {
            foreach (var (h, port, d) in RouteDestinations.Missing(virtualService, ports))
            {
                var destination = virtualService.Http[h].Route[d];
                if (!referenced.TryGetValue(destination.Host, out var set))
                {
                    referenced[destination.Host] = set = [];
                    referencedBy[destination.Host] = [];
                }

                set.Add(RouteDestinations.Port(destination, port, ports));
                referencedBy[destination.Host].Add(virtualService);
            }
        }

        return referenced;
    }
}
