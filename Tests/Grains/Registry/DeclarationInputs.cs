using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Registry;

/// <summary>
/// The oracle for <see cref="Mesh.Orleans.Grains.Registry.ClusterIndex"/>: the inputs of a whole
/// declaration computed in one pass, the way the ClusterGrain did before it kept indexes
/// (written independently of the index, so the two can be compared after any sequence of changes).
/// Splits one member cluster's declaration into per-hostname inputs: the Service, the
/// EndpointSlices labelled with its name, the VirtualServices whose hosts include it, and
/// the ports of every destination those VirtualServices name; the DestinationRules bound to it
/// (every rule of the declaration tried against it), with, when they define subsets, each
/// endpoint carrying the labels of the Pod its targetRef names; and the subset clusters routes
/// name that it lacks. A hostname no Service has and a ServiceEntry declares carries the first
/// such entry by namespace and name, a workloadSelector resolved into the selected pods' IPs;
/// its ports count as the host's for routes naming it.
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

        // The entries of each host no Service has, first by namespace and name.
        var entries = new Dictionary<string, ServiceEntrySpec>(StringComparer.Ordinal);
        foreach (var entry in (config.ServiceEntries ?? []).OrderBy(e => e.Namespace, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            foreach (var host in entry.Hosts.Where(h => !services.ContainsKey(h)))
            {
                entries.TryAdd(host, entry);
            }
        }

        var hostPorts = services.ToDictionary(p => p.Key, p => (IReadOnlyList<int>)p.Value.Ports.Select(x => x.Port).ToList(), StringComparer.Ordinal);
        foreach (var (host, entry) in entries)
        {
            hostPorts[host] = entry.Ports.Select(p => p.Number).ToList();
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

        var referenced = ReferencedPorts(config.VirtualServices, hostPorts);
        var referencedSubsets = ReferencedSubsets(config, hostPorts);
        var hosts = new SortedSet<string>(services.Keys, StringComparer.Ordinal);
        hosts.UnionWith(entries.Keys);
        hosts.UnionWith(slicesByHost.Keys);
        hosts.UnionWith(virtualServicesByHost.Keys);
        hosts.UnionWith(referenced.Keys);
        hosts.UnionWith(referencedSubsets.Keys);
        var pods = (config.Pods ?? []).ToDictionary(p => $"Pod/{p.Namespace}/{p.Name}", StringComparer.Ordinal);

        var inputs = new Dictionary<string, ServiceInput>(StringComparer.Ordinal);
        foreach (var host in hosts)
        {
            var virtualServices = virtualServicesByHost.TryGetValue(host, out var bound)
                ? bound.OrderBy(v => v.Namespace, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal).ToList()
                : [];
            var destinationPorts = new SortedDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
            foreach (var destination in virtualServices.SelectMany(v => v.Http).SelectMany(h => h.Route))
            {
                if (hostPorts.TryGetValue(destination.Host, out var target))
                {
                    destinationPorts[destination.Host] = target;
                }
            }

            var candidates = CandidateRules(config, host);
            var rules = DestinationRules.Bind(host, candidates);
            IReadOnlyList<MeshEndpointSlice> slices = slicesByHost.TryGetValue(host, out var declared) ? declared : [];
            if (candidates.Any(r => r.Subsets.Count > 0))
            {
                slices = slices.Select(slice => slice with
                {
                    Endpoints = slice.Endpoints.Select(e =>
                        MeshPod.PodOf(e.TargetRef, slice.Namespace) is { } pod && pods.TryGetValue(pod, out var known) ? e with { Labels = known.Labels } : e).ToList(),
                }).ToList();
            }

            var input = new ServiceInput(
                services.GetValueOrDefault(host),
                slices,
                virtualServices,
                destinationPorts,
                referenced.TryGetValue(host, out var ports) ? [.. ports] : null,
                rules.Count == 0 ? null : rules,
                referencedSubsets.TryGetValue(host, out var subsets) ? subsets.Select(s => new ReferencedSubset(s.Port, s.Subset)).ToList() : null,
                entries.TryGetValue(host, out var entry) ? Resolved(entry, config.Pods ?? []) : null,
                Importers(config.VirtualServices, host),
                candidates.Count > 0 ? candidates : null);
            inputs.Add(host, input);
        }

        return inputs;
    }

    /// <summary>Every rule of any namespace whose host matches <paramref name="host"/>, by namespace and name.</summary>
    private static List<DestinationRuleSpec> CandidateRules(ClusterConfig config, string host) =>
        (config.DestinationRules ?? [])
            .Where(r => DestinationRules.Matches(r.Host, host))
            .OrderBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The mesh VirtualServices (not delegates) with an HTTP, TCP or TLS route or a mirror to <paramref name="host"/>, by namespace and name; null when none.</summary>
    private static List<VirtualServiceImport>? Importers(IEnumerable<VirtualServiceSpec> virtualServices, string host)
    {
        var importers = virtualServices
            .Where(v => (v.Gateways is not { Count: > 0 } || v.Gateways.Contains("mesh")) && v.Hosts.Count > 0)
            .Where(v => v.Http.Any(h => h.Route.Any(d => d.Host == host) || (h.Mirrors ?? []).Any(m => m.Host == host))
                || (v.Tcp ?? []).Any(t => t.Route.Any(d => d.Host == host))
                || (v.Tls ?? []).Any(t => t.Route.Any(d => d.Host == host)))
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => new VirtualServiceImport(v.Namespace, v.Name, v.ExportTo, v.Hosts))
            .ToList();
        return importers.Count > 0 ? importers : null;
    }

    /// <summary><paramref name="entry"/> with a workloadSelector replaced by the pods of its namespace it selects that have an IP, by name.</summary>
    private static ServiceEntrySpec Resolved(ServiceEntrySpec entry, IReadOnlyList<MeshPod> pods) =>
        entry.WorkloadSelector is not { } selector
            ? entry
            : entry with
            {
                Endpoints = pods
                    .Where(p => p.Namespace == entry.Namespace && p.Ip is not null && selector.All(l => p.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
                    .OrderBy(p => p.Name, StringComparer.Ordinal)
                    .Select(p => new WorkloadEntrySpec(p.Ip!, new Dictionary<string, int>(), p.Labels, null, null, null, null))
                    .ToList(),
            };

    /// <summary>Per destination host, the (port, subset) clusters routes name that it does not have.</summary>
    private static Dictionary<string, SortedSet<(int Port, string Subset)>> ReferencedSubsets(ClusterConfig config, Dictionary<string, IReadOnlyList<int>> ports)
    {
        var referenced = new Dictionary<string, SortedSet<(int Port, string Subset)>>(StringComparer.Ordinal);
        foreach (var virtualService in config.VirtualServices)
        {
            foreach (var (_, _, host, port, subset) in SubsetReferences.Named(virtualService, ports))
            {
                var candidates = CandidateRules(config, host);
                var rule = candidates.Count > 0 ? null : DestinationRules.Merge(DestinationRules.Bind(host, candidates));
                if (SubsetReferences.Lacks(ports.GetValueOrDefault(host), rule, port, subset))
                {
                    if (!referenced.TryGetValue(host, out var set))
                    {
                        referenced[host] = set = [];
                    }

                    set.Add((port, subset));
                }
            }
        }

        return referenced;
    }

    /// <summary>
    /// Per destination host, the ports on which routes name a cluster of it that its Service
    /// does not define (no Service, or not that port), and the objects that name them.
    /// </summary>
    private static Dictionary<string, SortedSet<int>> ReferencedPorts(
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        Dictionary<string, IReadOnlyList<int>> ports)
    {
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
