using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// Finds valid objects that refer to what the member cluster does not have, as Istio's
/// analyzer does (IST0101 ReferencedResourceNotFound): a VirtualService for a host that is no
/// Service, a route destination with no Service or no such port, an EndpointSlice whose
/// Service does not exist; and ServiceEntries that another declaration shadows (a Kubernetes
/// Service of the same hostname, an earlier entry) or that proxyless gRPC clients cannot reach.
/// Pure: a declaration in, warnings out.
/// </summary>
public static class ConfigAnalyzer
{
    /// <summary>The warnings for <paramref name="config"/>, in kind, namespace, name and field order.</summary>
    public static IReadOnlyList<ConfigWarning> Analyze(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ports = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var service in config.Services)
        {
            ports[service.Hostname] = service.Ports.Select(p => p.Port).ToList();
        }

        // A ServiceEntry's hosts are hostnames of the mesh too, unless a Service has them (the first entry's ports).
        var entries = config.ServiceEntries ?? [];
        foreach (var entry in entries)
        {
            foreach (var host in entry.Hosts)
            {
                ports.TryAdd(host, entry.Ports.Select(p => p.Number).ToList());
            }
        }

        var rules = config.DestinationRules ?? [];
        IReadOnlyList<DestinationRuleSpec> RulesFor(string host) => DestinationRules.Bind(host, rules);

        var warnings = new List<ConfigWarning>();
        var byHost = config.VirtualServices
            .SelectMany(v => v.Hosts.Select(h => (Host: h, VirtualService: v)))
            .GroupBy(p => p.Host, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<VirtualServiceSpec>)g.Select(p => p.VirtualService).ToList(), StringComparer.Ordinal);
        foreach (var virtualService in config.VirtualServices)
        {
            warnings.AddRange(ForVirtualService(virtualService, ports, h => byHost.GetValueOrDefault(h) ?? [], RulesFor));
        }

        foreach (var rule in rules)
        {
            var group = rules
                .Where(r => string.Equals(r.Host, rule.Host, StringComparison.Ordinal) && string.Equals(r.Namespace, rule.Namespace, StringComparison.Ordinal) && DestinationRules.IsMeshWide(r))
                .Order(DestinationRules.Oldest)
                .ToList();
            warnings.AddRange(ForDestinationRule(rule, ports, group, RulesFor));
        }

        foreach (var slice in config.EndpointSlices)
        {
            warnings.AddRange(ForEndpointSlice(slice, ports));
        }

        var services = config.Services.Select(s => s.Hostname).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            warnings.AddRange(ForServiceEntry(entry, services.Contains, h => entries.Where(e => e.Hosts.Contains(h, StringComparer.Ordinal))));
        }

        return Ordered(warnings);
    }

    /// <summary><paramref name="warnings"/> without repeats, in kind, namespace, name and field order.</summary>
    public static IReadOnlyList<ConfigWarning> Ordered(IEnumerable<ConfigWarning> warnings) => warnings
        .Distinct()
        .OrderBy(w => w.Kind, StringComparer.Ordinal)
        .ThenBy(w => w.Namespace, StringComparer.Ordinal)
        .ThenBy(w => w.Name, StringComparer.Ordinal)
        .ThenBy(w => w.Field, StringComparer.Ordinal)
        .ToList();

    /// <summary>The warnings of one EndpointSlice, given the ports of every Service by hostname.</summary>
    public static IReadOnlyList<ConfigWarning> ForEndpointSlice(MeshEndpointSlice slice, IReadOnlyDictionary<string, IReadOnlyList<int>> ports)
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(ports);
        return ports.ContainsKey(slice.ServiceHostname)
            ? []
            : [new ConfigWarning("EndpointSlice", slice.Namespace, slice.Name, "metadata.labels[kubernetes.io/service-name]",
                $"Service {slice.Namespace}/{slice.ServiceName} does not exist; these endpoints are not served until it does")];
    }

    /// <summary>
    /// The warnings of one ServiceEntry, given whether a Kubernetes Service has a hostname and the
    /// entries that declare a host: a host a Service has (the Service wins, as in Istio, which keeps
    /// a Kubernetes Service's hostname from being squatted), a host an earlier entry (by namespace
    /// and name) declares, and a resolution proxyless gRPC clients cannot take (they accept EDS and a
    /// LOGICAL_DNS cluster of one address, not STRICT_DNS or ORIGINAL_DST).
    /// </summary>
    public static IReadOnlyList<ConfigWarning> ForServiceEntry(
        ServiceEntrySpec entry,
        Func<string, bool> isService,
        Func<string, IEnumerable<ServiceEntrySpec>> entriesFor)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(isService);
        ArgumentNullException.ThrowIfNull(entriesFor);
        var warnings = new List<ConfigWarning>();
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("ServiceEntry", entry.Namespace, entry.Name, field, message));

        for (var i = 0; i < entry.Hosts.Count; i++)
        {
            var host = entry.Hosts[i];
            if (isService(host))
            {
                Warn($"spec.hosts[{i}]", $"{host} is a Kubernetes Service's hostname; as in Istio the Service takes precedence and this entry's ports and endpoints for it are not applied");
                continue;
            }

            var earlier = entriesFor(host)
                .Where(e => !ReferenceEquals(e, entry)
                    && (string.CompareOrdinal(e.Namespace, entry.Namespace) < 0
                        || (e.Namespace == entry.Namespace && string.CompareOrdinal(e.Name, entry.Name) < 0)))
                .OrderBy(e => e.Namespace, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (earlier is not null)
            {
                Warn($"spec.hosts[{i}]", $"ServiceEntry {earlier.Namespace}/{earlier.Name} also declares {host}; the first by namespace and name is applied (Istio takes the oldest), this one is not for that host");
            }
        }

        var proxyless = entry.Resolution switch
        {
            "NONE" => "resolution NONE is an ORIGINAL_DST cluster, which proxyless gRPC clients reject",
            "DNS" when entry.WorkloadSelector is not null || entry.Endpoints.Count > 1 =>
                "resolution DNS with several endpoints is a STRICT_DNS cluster, which proxyless gRPC clients reject (they take a DNS cluster of one address, LOGICAL_DNS)",
            _ => null,
        };
        if (proxyless is not null)
        {
            Warn("spec.resolution", $"{proxyless}: they get its clusters as EDS with no endpoints, so their calls to it fail at once (UNAVAILABLE); Envoy sidecars and gateways get it as Istio builds it");
        }

        return warnings;
    }

    /// <summary>
    /// The warnings of one VirtualService, given the ports of every Service by hostname, when
    /// known the VirtualServices bound to each host (to find several binding one host), and the
    /// DestinationRules bound to a hostname (none when <paramref name="rulesFor"/> is null).
    /// </summary>
    public static IReadOnlyList<ConfigWarning> ForVirtualService(
        VirtualServiceSpec virtualService,
        IReadOnlyDictionary<string, IReadOnlyList<int>> ports,
        Func<string, IEnumerable<VirtualServiceSpec>>? boundTo = null,
        Func<string, IReadOnlyList<DestinationRuleSpec>>? rulesFor = null)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(ports);
        var warnings = new List<ConfigWarning>();
        AnalyzeVirtualService(virtualService, ports, warnings);
        AnalyzeRoutes(virtualService, boundTo, warnings);
        AnalyzeSubsets(virtualService, ports, rulesFor ?? (_ => []), warnings);
        return warnings;
    }

    /// <summary>
    /// TCP and TLS matches the mesh leaves out or does not apply in full: those selecting proxies
    /// by source (listeners are shared by every proxy), and <c>sourceSubnet</c>, which Istio does
    /// not apply either.
    /// </summary>
    private const string BySourceNamespace =
        "applied to the sidecars (and proxyless clients with an Istio node id) of that namespace only; gateways and clients without a namespace leave this match out";

    private static void AnalyzeL4Routes(VirtualServiceSpec virtualService, Action<string, string> warn)
    {
        const string BySource = "matches on sourceLabels are not applied yet (listeners are shared by the proxies of a scope): this match is left out";
        var tcp = virtualService.Tcp ?? [];
        for (var t = 0; t < tcp.Count; t++)
        {
            for (var m = 0; m < tcp[t].Match.Count; m++)
            {
                var match = tcp[t].Match[m];
                if (match is { SourceLabels.Count: > 0 })
                {
                    warn($"spec.tcp[{t}].match[{m}]", BySource);
                }
                else if (match.SourceNamespace is not null)
                {
                    warn($"spec.tcp[{t}].match[{m}].sourceNamespace", BySourceNamespace);
                }
                else if (match.SourceSubnet is not null)
                {
                    warn($"spec.tcp[{t}].match[{m}].sourceSubnet", "is not applied (nor by Istio): the match takes connections from any source");
                }
            }
        }

        var tls = virtualService.Tls ?? [];
        for (var t = 0; t < tls.Count; t++)
        {
            for (var m = 0; m < tls[t].Match.Count; m++)
            {
                if (tls[t].Match[m] is { SourceLabels.Count: > 0 })
                {
                    warn($"spec.tls[{t}].match[{m}]", BySource);
                }
                else if (tls[t].Match[m].SourceNamespace is not null)
                {
                    warn($"spec.tls[{t}].match[{m}].sourceNamespace", BySourceNamespace);
                }
            }
        }
    }

    /// <summary>
    /// What the mesh serves differently from what the VirtualService says: matches that select
    /// proxies by source, routes proxyless gRPC clients cannot take, and several VirtualServices
    /// for one host (Istio's sidecars take one, IST0109, as sidecars do here; the whole mesh's view concatenates them).
    /// </summary>
    private static void AnalyzeRoutes(VirtualServiceSpec virtualService, Func<string, IEnumerable<VirtualServiceSpec>>? boundTo, List<ConfigWarning> warnings)
    {
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, field, message));

        for (var h = 0; h < virtualService.Http.Count; h++)
        {
            var http = virtualService.Http[h];
            for (var m = 0; m < http.Match.Count; m++)
            {
                if (http.Match[m] is { SourceLabels.Count: > 0 })
                {
                    Warn($"spec.http[{h}].match[{m}]", "matches on sourceLabels are not applied yet (routes are shared by the proxies of a scope): this match is left out");
                }
                else if (http.Match[m].SourceNamespace is not null)
                {
                    Warn($"spec.http[{h}].match[{m}].sourceNamespace", BySourceNamespace);
                }
            }

            if (http.Redirect is not null || http.DirectResponse is not null)
            {
                Warn($"spec.http[{h}].{(http.Redirect is not null ? "redirect" : "directResponse")}",
                    "proxyless gRPC clients do not get this route (they reject a RouteConfiguration that redirects or responds directly); their calls go to the next route that matches. Envoy sidecars get it");
            }
        }

        AnalyzeL4Routes(virtualService, Warn);
        if (boundTo is null || !virtualService.AppliesToMesh)
        {
            return;
        }

        for (var i = 0; i < virtualService.Hosts.Count; i++)
        {
            var earlier = boundTo(virtualService.Hosts[i])
                .Where(v => v.AppliesToMesh && !ReferenceEquals(v, virtualService)
                    && (string.CompareOrdinal(v.Namespace, virtualService.Namespace) < 0
                        || (v.Namespace == virtualService.Namespace && string.CompareOrdinal(v.Name, virtualService.Name) < 0)))
                .OrderBy(v => v.Namespace, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (earlier is not null)
            {
                Warn($"spec.hosts[{i}]", $"VirtualService {earlier.Namespace}/{earlier.Name} also binds {virtualService.Hosts[i]} for the mesh; Istio's sidecars apply only one of them (IST0109), and so do sidecars here: the first in Istio's order for their namespace (kept to it, exported to it by name, public; then namespace and name). Gateways and clients without a namespace take its routes first and these after");
            }
        }
    }

    /// <summary>
    /// The warnings of one DestinationRule, given the ports of every Service by hostname, the
    /// mesh-wide rules of its namespace for the same host, oldest first (<paramref name="group"/>,
    /// which it merges with), and the rules bound to a hostname.
    /// </summary>
    public static IReadOnlyList<ConfigWarning> ForDestinationRule(
        DestinationRuleSpec rule,
        IReadOnlyDictionary<string, IReadOnlyList<int>> ports,
        IReadOnlyList<DestinationRuleSpec> group,
        Func<string, IReadOnlyList<DestinationRuleSpec>> rulesFor)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(rulesFor);
        var warnings = new List<ConfigWarning>();
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("DestinationRule", rule.Namespace, rule.Name, field, message));

        if (!DestinationRules.IsMeshWide(rule))
        {
            Warn("spec.workloadSelector", "a rule with a workload selector applies only to the workloads it selects, and every proxy is served the same configuration for now: it is not applied");
            return warnings;
        }

        if (!DestinationRules.IsWildcard(rule.Host))
        {
            if (!ports.ContainsKey(rule.Host))
            {
                Warn("spec.host", $"{rule.Host} is not a Service of the mesh; the rule applies to nothing");
                return warnings;
            }

            var bound = rulesFor(rule.Host);
            if (!bound.Any(r => ReferenceEquals(r, rule)) && bound.Count > 0)
            {
                Warn("spec.host", $"applied only where Istio's lookup finds it (proxies of {rule.Namespace}, or namespaces it is exported to that have no rule of their own or of the Service's namespace): "
                    + $"DestinationRule {bound[0].Namespace}/{bound[0].Name} (host {bound[0].Host}) takes precedence for gateways and clients without a namespace "
                    + $"(a rule in the Service's namespace, then in {DestinationRules.RootNamespace}, then in the first other namespace by name; the most specific host)");
                return warnings;
            }
        }

        foreach (var (field, what, winner) in DestinationRules.Ignored(rule, group))
        {
            Warn(field, $"{what} is ignored: DestinationRule {winner.Namespace}/{winner.Name} for the same host is older and already sets it");
        }

        foreach (var (path, loadBalancer) in LoadBalancers(rule))
        {
            var (asked, _) = ClusterTranslator.LbPolicyOf(loadBalancer, ClusterShape.Envoy);
            var (served, asAsked) = ClusterTranslator.LbPolicyOf(loadBalancer);
            if (!asAsked)
            {
                Warn(path, $"{ClusterTranslator.NameOf(asked)} is served to proxyless gRPC clients as "
                    + $"{ClusterTranslator.NameOf(served)}, as they reject a Cluster with any other lb_policy; "
                    + "Envoy sidecars and gateways get it as asked");
            }
        }

        return warnings;
    }

    /// <summary>Every load balancer a rule sets, with its field.</summary>
    private static IEnumerable<(string Path, LoadBalancerSpec LoadBalancer)> LoadBalancers(DestinationRuleSpec rule)
    {
        static IEnumerable<(string, LoadBalancerSpec)> Of(TrafficPolicySpec? policy, string path)
        {
            if (policy is null)
            {
                yield break;
            }

            if (policy.LoadBalancer is { } loadBalancer)
            {
                yield return (path + ".loadBalancer", loadBalancer);
            }

            for (var i = 0; i < policy.PortLevelSettings.Count; i++)
            {
                foreach (var found in Of(policy.PortLevelSettings[i], $"{path}.portLevelSettings[{i}]"))
                {
                    yield return found;
                }
            }
        }

        return Of(rule.TrafficPolicy, "spec.trafficPolicy")
            .Concat(rule.Subsets.SelectMany((s, i) => Of(s.TrafficPolicy, $"spec.subsets[{i}].trafficPolicy")));
    }

    private static void AnalyzeSubsets(
        VirtualServiceSpec virtualService,
        IReadOnlyDictionary<string, IReadOnlyList<int>> ports,
        Func<string, IReadOnlyList<DestinationRuleSpec>> rulesFor,
        List<ConfigWarning> warnings)
    {
        var reported = new HashSet<(int, int)>();
        foreach (var (h, d, host, port, subset) in SubsetReferences.Named(virtualService, ports))
        {
            // A destination that is no Service, or lacks the port, is reported as such already.
            if (!ports.TryGetValue(host, out var hostPorts) || !hostPorts.Contains(port) || reported.Contains((h, d)))
            {
                continue;
            }

            var rule = DestinationRules.Merge(rulesFor(host));
            if (SubsetReferences.Lacks(hostPorts, rule, port, subset))
            {
                reported.Add((h, d));
                var http = virtualService.Http[h];
                var route = http.Name is null ? $"spec.http[{h}]" : $"route '{http.Name}'";
                warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, $"spec.http[{h}].route[{d}].destination.subset",
                    $"subset {subset} not found in any DestinationRule for {host}; calls that {route} sends to it fail (UNAVAILABLE for gRPC clients, 503 for Envoy): "
                    + $"{MeshNames.OutboundCluster(host, port, subset)} has no endpoints until a rule defines it"));
            }
        }
    }

    private static void AnalyzeVirtualService(VirtualServiceSpec virtualService, IReadOnlyDictionary<string, IReadOnlyList<int>> ports, List<ConfigWarning> warnings)
    {
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, field, message));

        // A gateway's hosts are the names it is called by from outside, not Services of the mesh.
        for (var i = 0; i < (virtualService.AppliesToMesh ? virtualService.Hosts.Count : 0); i++)
        {
            if (!ports.ContainsKey(virtualService.Hosts[i]))
            {
                Warn($"spec.hosts[{i}]", $"{virtualService.Hosts[i]} is not a Service of the mesh; no proxy gets routes for it");
            }
        }

        foreach (var (h, port, d) in RouteDestinations.Missing(virtualService, ports))
        {
            var http = virtualService.Http[h];
            var destination = http.Route[d];
            var route = http.Name is null ? $"spec.http[{h}]" : $"route '{http.Name}'";

            // The translator's rule: a missing destination still served means no destination was left.
            var consequence = RouteDestinations.Served(http, port, ports).Contains(destination)
                ? $"calls that {route} takes on port {port} fail (UNAVAILABLE for gRPC clients, 503 for Envoy): its cluster has no endpoints until the destination exists"
                : $"left out of {route} on port {port}; the route's other destinations take its share";
            var destinationPort = RouteDestinations.Port(destination, port, ports);
            var field = $"spec.http[{h}].route[{d}].destination";
            Warn(ports.ContainsKey(destination.Host) ? field + ".port.number" : field + ".host",
                ports.ContainsKey(destination.Host)
                    ? $"{destination.Host} has no port {destinationPort} ({MeshNames.OutboundCluster(destination.Host, destinationPort)} does not exist); {consequence}"
                    : $"{destination.Host} is not a Service of the mesh; {consequence}");
        }
    }
}
