using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Scoping;

/// <summary>
/// What a sidecar (or proxyless client) may reach, as Istio's <c>Sidecar</c> resource and
/// <c>exportTo</c> decide it: which Sidecar applies to a proxy, whether an object is exported to
/// its namespace, which hosts an egress listener imports, and from those the hostnames,
/// VirtualServices and DestinationRules the proxy sees. Pure: lists in, answers out. Written from
/// Istio's <c>pilot/pkg/model/sidecar.go</c> (<c>convertToSidecarScope</c>,
/// <c>IstioEgressListenerWrapper</c>, <c>selectServices</c>, <c>hostClassification</c>),
/// <c>virtualservice.go</c> (<c>SelectVirtualServices</c>) and <c>push_context.go</c>
/// (<c>exportToDefaults</c>, <c>IsServiceVisible</c>, <c>getSidecarScope</c>, <c>destinationRule</c>).
/// </summary>
/// <remarks>
/// <para>Gateways do not take Sidecars in Istio (they get the default scope of their namespace);
/// these rules are for sidecars and proxyless clients, which Istio treats alike.</para>
/// <para>Left to the caller, as Istio leaves them to later stages: the ports of a VirtualService's
/// destinations (Istio trims a service to them), route matches on <c>sourceNamespace</c>, the
/// delegates a visible VirtualService names (resolved from their root, whatever their own
/// exportTo), and which of several objects declaring one hostname wins.</para>
/// </remarks>
public static class ProxyVisibility
{
    /// <summary>The namespace part of an egress host that means "any namespace".</summary>
    public const string AnyNamespace = "*";

    /// <summary>The namespace part of an egress host, and the exportTo entry, that mean "the proxy's (or the object's) own namespace".</summary>
    public const string OwnNamespace = ".";

    /// <summary>The exportTo entry that means "no one", and the prefix of an egress host that excludes rather than imports.</summary>
    public const string None = "~";

    /// <summary>The egress host of Istio's default listener: every host of every namespace.</summary>
    public const string Everything = "*/*";

    private static readonly IReadOnlyList<SidecarEgressSpec> s_defaultEgress = [new SidecarEgressSpec(null, null, null, [Everything])];

    /// <summary>
    /// The Sidecar that applies to a proxy in <paramref name="proxyNamespace"/> carrying
    /// <paramref name="proxyLabels"/>, or null for Istio's default (import everything exported to
    /// the namespace). As Istio's <c>getSidecarScope</c> chooses: a Sidecar of the proxy's namespace
    /// whose <c>workloadSelector</c> the labels satisfy (of several, the oldest by creation time, then
    /// name); else that namespace's Sidecar without a selector (the oldest); else the root namespace's
    /// Sidecar without a selector (the oldest); else none. A Sidecar of another namespace never
    /// applies, and the root namespace's selecting Sidecars apply only in the root namespace.
    /// </summary>
    public static SidecarSpec? SelectSidecar(string proxyNamespace, IReadOnlyDictionary<string, string> proxyLabels, IEnumerable<SidecarSpec> sidecars, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(proxyLabels);
        ArgumentNullException.ThrowIfNull(sidecars);
        ArgumentNullException.ThrowIfNull(rootNamespace);
        SidecarSpec? selecting = null;
        SidecarSpec? namespaceWide = null;
        SidecarSpec? root = null;
        foreach (var sidecar in sidecars)
        {
            if (string.Equals(sidecar.Namespace, proxyNamespace, StringComparison.Ordinal))
            {
                if (sidecar.WorkloadSelector is null)
                {
                    namespaceWide = Older(namespaceWide, sidecar);
                }
                else if (EndpointTranslator.Selects(sidecar.WorkloadSelector, proxyLabels))
                {
                    selecting = Older(selecting, sidecar);
                }
            }

            if (sidecar.WorkloadSelector is null && string.Equals(sidecar.Namespace, rootNamespace, StringComparison.Ordinal))
            {
                root = Older(root, sidecar);
            }
        }

        return selecting ?? namespaceWide ?? root;
    }

    /// <summary>
    /// Oldest first, as Istio's <c>configCompareByCreationTime</c>: creation time (none counts as
    /// oldest, as Go's zero time does), then name, then namespace.
    /// </summary>
    public static IComparer<SidecarSpec> Oldest { get; } = Comparer<SidecarSpec>.Create((x, y) =>
    {
        var byTime = Nullable.Compare(x.CreationTimestamp, y.CreationTimestamp);
        if (byTime != 0)
        {
            return byTime;
        }

        var byName = string.CompareOrdinal(x.Name, y.Name);
        return byName != 0 ? byName : string.CompareOrdinal(x.Namespace, y.Namespace);
    });

    /// <summary>
    /// Whether an object of <paramref name="objectNamespace"/> whose <c>exportTo</c> is
    /// <paramref name="exportTo"/> (null or empty: <paramref name="defaultExportTo"/>, and when that
    /// is empty too, <c>*</c>) is visible to a proxy in <paramref name="proxyNamespace"/>. The entries
    /// form a set, as in Istio's <c>IsServiceVisible</c>: <c>*</c> exports to every namespace,
    /// <c>.</c> to the object's own, a name to that namespace, and <c>~</c> to no one.
    /// </summary>
    public static bool IsExported(string objectNamespace, IReadOnlyList<string>? exportTo, IReadOnlyList<string>? defaultExportTo, string proxyNamespace)
    {
        ArgumentNullException.ThrowIfNull(objectNamespace);
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        var entries = exportTo is { Count: > 0 } ? exportTo : defaultExportTo is { Count: > 0 } ? defaultExportTo : null;
        if (entries is null)
        {
            return true;
        }

        var own = string.Equals(objectNamespace, proxyNamespace, StringComparison.Ordinal);
        foreach (var entry in entries)
        {
            if (entry == AnyNamespace || (entry == OwnNamespace && own) || string.Equals(entry, proxyNamespace, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the egress host <paramref name="egressHost"/> (<c>namespace/dnsName</c>) of a
    /// Sidecar applied to a proxy in <paramref name="proxyNamespace"/> imports
    /// <paramref name="hostname"/> of an object in <paramref name="objectNamespace"/> (a Service's
    /// or ServiceEntry's namespace, or a VirtualService's). The namespace must be <c>*</c>, the
    /// object's, or <c>.</c> standing for the proxy's; the DNS name is matched as Istio's
    /// <c>host.Name</c> does: for a service the hostname must fall within it (<c>SubsetOf</c>:
    /// <c>*</c> takes everything, <c>*.example.com</c> takes <c>a.example.com</c> and
    /// <c>*.a.example.com</c> but not <c>example.com</c>); for a VirtualService
    /// (<paramref name="virtualService"/>) the two may overlap either way (<c>Matches</c>, as
    /// Istio's <c>VSMatches</c> for VirtualServices that do not use gateway semantics). An
    /// exclusion (<c>~ns/dnsName</c>) imports nothing; see <see cref="EgressHostExcludes"/>.
    /// </summary>
    public static bool EgressHostMatches(string egressHost, string objectNamespace, string hostname, string proxyNamespace, bool virtualService = false)
    {
        ArgumentNullException.ThrowIfNull(egressHost);
        ArgumentNullException.ThrowIfNull(objectNamespace);
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        return Parse(egressHost, proxyNamespace) is { Excluded: false } host
            && InNamespace(host, objectNamespace)
            && (virtualService ? Overlaps(hostname, host.Name) : SubsetOf(hostname, host.Name));
    }

    /// <summary>
    /// Whether the egress host <paramref name="egressHost"/> is an exclusion (<c>~ns/dnsName</c>;
    /// <c>~/dnsName</c> for any namespace) that removes <paramref name="hostname"/> of an object in
    /// <paramref name="objectNamespace"/>: Istio's <c>hostClassification.Excluded</c>, where the
    /// hostname must fall within the excluded name (<c>SubsetOf</c>). An exclusion wins over any
    /// import of the same listener.
    /// </summary>
    public static bool EgressHostExcludes(string egressHost, string objectNamespace, string hostname, string proxyNamespace)
    {
        ArgumentNullException.ThrowIfNull(egressHost);
        ArgumentNullException.ThrowIfNull(objectNamespace);
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        return Parse(egressHost, proxyNamespace) is { Excluded: true } host
            && InNamespace(host, objectNamespace)
            && SubsetOf(hostname, host.Name);
    }

    /// <summary>
    /// Whether an egress listener with <paramref name="hosts"/> imports <paramref name="hostname"/>
    /// of an object in <paramref name="objectNamespace"/>: no exclusion removes it, and an import
    /// matches it (one naming the object's namespace, or <c>*</c>), as Istio's <c>selectServices</c>
    /// and <c>SelectVirtualServices</c> decide.
    /// </summary>
    public static bool ListenerImports(IReadOnlyList<string> hosts, string objectNamespace, string hostname, string proxyNamespace, bool virtualService = false)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var imported = false;
        foreach (var host in hosts)
        {
            if (EgressHostExcludes(host, objectNamespace, hostname, proxyNamespace))
            {
                return false;
            }

            imported = imported || EgressHostMatches(host, objectNamespace, hostname, proxyNamespace, virtualService);
        }

        return imported;
    }

    /// <summary>
    /// The egress listeners of <paramref name="sidecar"/>; with no Sidecar, or one without egress
    /// listeners, Istio's default: one listener without a port importing <c>*/*</c>.
    /// </summary>
    public static IReadOnlyList<SidecarEgressSpec> EgressListeners(SidecarSpec? sidecar) =>
        sidecar is { Egress.Count: > 0 } ? sidecar.Egress : s_defaultEgress;

    /// <summary>
    /// The hostnames a proxy in <paramref name="proxyNamespace"/> under <paramref name="sidecar"/>
    /// (null: none applies) sees, in ordinal order: for each egress listener, the hostnames of the
    /// Services and ServiceEntries exported to the namespace that the listener imports (on a
    /// listener with a port, only those with that port, except for <c>HTTP_PROXY</c>), and the
    /// destinations of the VirtualServices the listener imports that are exported hostnames too
    /// (Istio's <c>collectImportedServices</c>: a VirtualService brings its destinations with it).
    /// </summary>
    public static SortedSet<string> VisibleHostnames(
        string proxyNamespace,
        SidecarSpec? sidecar,
        IEnumerable<MeshService> services,
        IEnumerable<ServiceEntrySpec> serviceEntries,
        IEnumerable<VirtualServiceSpec> virtualServices,
        MeshScopingOptions options)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceEntries);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(options);

        // Istio's servicesExportedToNamespace: every service and entry host visible from here.
        var candidates = new List<(string Hostname, string Namespace, IReadOnlyCollection<int> Ports)>();
        foreach (var service in services)
        {
            if (IsExported(service.Namespace, service.ExportTo, options.ServiceExportTo, proxyNamespace))
            {
                candidates.Add((service.Hostname, service.Namespace, service.Ports.Select(p => p.Port).ToHashSet()));
            }
        }

        foreach (var entry in serviceEntries)
        {
            if (IsExported(entry.Namespace, entry.ExportTo, options.ServiceExportTo, proxyNamespace))
            {
                var ports = entry.Ports.Select(p => p.Number).ToHashSet();
                candidates.AddRange(entry.Hosts.Select(h => (h, entry.Namespace, (IReadOnlyCollection<int>)ports)));
            }
        }

        var byHostname = candidates.ToLookup(c => c.Hostname, StringComparer.Ordinal);
        var allVirtualServices = virtualServices as IReadOnlyCollection<VirtualServiceSpec> ?? virtualServices.ToList();
        var visible = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var listener in EgressListeners(sidecar))
        {
            var port = MatchedPort(listener);
            foreach (var (hostname, ns, ports) in candidates)
            {
                if ((port is null || ports.Contains(port.Value)) && ListenerImports(listener.Hosts, ns, hostname, proxyNamespace))
                {
                    visible.Add(hostname);
                }
            }

            foreach (var virtualService in ImportedVirtualServices(proxyNamespace, listener, allVirtualServices, options))
            {
                foreach (var destination in RouteDestinations.Hosts(virtualService))
                {
                    if (byHostname[destination].Any(c => port is null || c.Ports.Contains(port.Value)))
                    {
                        visible.Add(destination);
                    }
                }
            }
        }

        return visible;
    }

    /// <summary>
    /// Whether a proxy in <paramref name="proxyNamespace"/> under <paramref name="sidecar"/> (null:
    /// none applies) sees <paramref name="hostname"/>, decided from what the hostname carries
    /// (<paramref name="visibility"/>; null: no Service or ServiceEntry declares it, so no one
    /// does): the one-hostname form of <see cref="VisibleHostnames"/>, so that a scope can decide
    /// as each hostname's resources arrive. The declaring object must be exported to the
    /// namespace, and some egress listener (with a port: only a hostname with that port) must
    /// import it, or import a VirtualService exported to the namespace that routes to it. A
    /// hostname no object declares (routes name it) is seen through such a VirtualService only.
    /// </summary>
    public static bool Sees(string proxyNamespace, SidecarSpec? sidecar, string hostname, ServiceVisibility? visibility, MeshScopingOptions options)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(options);
        if (visibility is null || (visibility.Declared && !IsExported(visibility.Namespace, visibility.ExportTo, options.ServiceExportTo, proxyNamespace)))
        {
            return false;
        }

        foreach (var listener in EgressListeners(sidecar))
        {
            if (MatchedPort(listener) is { } port && !visibility.Ports.Contains(port))
            {
                continue;
            }

            if (visibility.Declared && ListenerImports(listener.Hosts, visibility.Namespace, hostname, proxyNamespace))
            {
                return true;
            }

            foreach (var importer in visibility.Importers)
            {
                if (IsExported(importer.Namespace, importer.ExportTo, options.VirtualServiceExportTo, proxyNamespace)
                    && importer.Hosts.Any(h => ListenerImports(listener.Hosts, importer.Namespace, h, proxyNamespace, virtualService: true)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The VirtualServices a proxy in <paramref name="proxyNamespace"/> under
    /// <paramref name="sidecar"/> applies: those that apply to the mesh, are exported to its
    /// namespace, and have a host some egress listener imports (VirtualService matching: the
    /// listener's namespace is the VirtualService's). In Istio's order: those kept to the proxy's
    /// namespace, then those exported to it by name, then the public ones; within each, by
    /// namespace and name (Istio keeps creation order, which the mesh does not hold). Each once.
    /// </summary>
    public static IReadOnlyList<VirtualServiceSpec> VisibleVirtualServices(
        string proxyNamespace,
        SidecarSpec? sidecar,
        IEnumerable<VirtualServiceSpec> virtualServices,
        MeshScopingOptions options)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(options);
        var all = virtualServices as IReadOnlyCollection<VirtualServiceSpec> ?? virtualServices.ToList();
        var seen = new HashSet<(string Namespace, string Name)>();
        var visible = new List<VirtualServiceSpec>();
        foreach (var listener in EgressListeners(sidecar))
        {
            foreach (var virtualService in ImportedVirtualServices(proxyNamespace, listener, all, options))
            {
                if (seen.Add((virtualService.Namespace, virtualService.Name)))
                {
                    visible.Add(virtualService);
                }
            }
        }

        return visible;
    }

    /// <summary>
    /// The DestinationRules that apply to <paramref name="host"/> for a proxy in
    /// <paramref name="proxyNamespace"/>, oldest first (the order they merge in), as Istio's
    /// <c>destinationRule</c> looks them up: first the rules of the proxy's namespace visible to it
    /// (for a proxy in the root namespace, only its rules kept to it); then the rules the service's
    /// namespace (<paramref name="serviceNamespace"/>, or the namespace of a Kubernetes hostname)
    /// exports to the proxy's; then those the root namespace exports to it. In each namespace the
    /// most specific host wins (the name, else the longest matching wildcard); when none of that
    /// host's rules is exported to the proxy, the lookup moves on to the next namespace. A rule
    /// without <c>exportTo</c> takes the mesh default, of which Istio honours only <c>.</c> (kept
    /// to its namespace) and otherwise exports it everywhere. A rule with a
    /// <c>workloadSelector</c> is kept to its namespace and, as Istio's
    /// <c>SidecarScope.DestinationRule</c>, chosen over the others only for a proxy whose
    /// <paramref name="proxyLabels"/> it selects. Empty when no rule applies.
    /// </summary>
    public static IReadOnlyList<DestinationRuleSpec> DestinationRuleFor(
        string host,
        string proxyNamespace,
        string? serviceNamespace,
        IEnumerable<DestinationRuleSpec> destinationRules,
        MeshScopingOptions options,
        IReadOnlyDictionary<string, string>? proxyLabels = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(destinationRules);
        ArgumentNullException.ThrowIfNull(options);
        var root = options.RootNamespace;
        var privateDefault = options.DestinationRuleExportTo.Contains(OwnNamespace, StringComparer.Ordinal);
        var rules = destinationRules.Where(r => DestinationRules.Matches(r.Host, host)).ToList();

        // 1. The proxy's own namespace.
        var local = string.Equals(proxyNamespace, root, StringComparison.Ordinal)
            ? rules.Where(r => InNamespace(r, root) && PrivateOnly(r, privateDefault))
            : rules.Where(r => InNamespace(r, proxyNamespace) && (r.WorkloadSelector is not null || IsExported(r.Namespace, RuleExportTo(r, privateDefault), null, proxyNamespace)));
        if (MostSpecific(local.ToList()) is { Count: > 0 } tier)
        {
            return ForProxy(tier, proxyNamespace, proxyLabels);
        }

        // 2. The service's namespace, then 3. the root namespace: the rules they export.
        serviceNamespace ??= DestinationRules.NamespaceOf(host);
        foreach (var ns in new[] { serviceNamespace, root })
        {
            if (ns is null)
            {
                continue;
            }

            var exported = MostSpecific(rules.Where(r => InNamespace(r, ns) && r.WorkloadSelector is null && !PrivateOnly(r, privateDefault)).ToList());
            var toProxy = exported.Where(r => IsExported(r.Namespace, RuleExportTo(r, privateDefault), null, proxyNamespace)).ToList();
            if (toProxy.Count > 0)
            {
                return toProxy;
            }
        }

        return [];
    }

    /// <summary>
    /// The VirtualServices that route <paramref name="host"/> for a proxy in
    /// <paramref name="proxyNamespace"/>, from <paramref name="bound"/> (those whose hosts include
    /// it, and the delegates they name): as Istio builds a sidecar's virtual hosts, the mesh
    /// VirtualServices exported to the namespace are taken in its order (kept to the namespace,
    /// exported to it by name, public; then namespace and name) and the first that claims the host
    /// wins (Istio drops the later ones as duplicate domains); with it, every delegate of
    /// <paramref name="bound"/>, of which the route translator takes those the winner names.
    /// Empty when none is exported to the namespace.
    /// </summary>
    public static IReadOnlyList<VirtualServiceSpec> VirtualServicesFor(string host, string proxyNamespace, IReadOnlyList<VirtualServiceSpec> bound, MeshScopingOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(bound);
        ArgumentNullException.ThrowIfNull(options);
        var winner = bound
            .Where(v => v.AppliesToMesh && !v.IsDelegate && v.Hosts.Contains(host, StringComparer.Ordinal)
                && IsExported(v.Namespace, v.ExportTo, options.VirtualServiceExportTo, proxyNamespace))
            .OrderBy(v => Tier(v, proxyNamespace, options))
            .ThenBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return winner is null ? [] : bound.Where(v => ReferenceEquals(v, winner) || v.IsDelegate).ToList();
    }

    /// <summary>
    /// A canonical description of what decides a sidecar's view of the mesh, usable as (the source
    /// of) a scope key: the proxy's namespace and the identity of the Sidecar that applies to it.
    /// Two proxies with the same description see the same hostnames, VirtualServices and
    /// DestinationRules, whatever their labels: everything above depends only on the namespace
    /// (exportTo, <c>.</c> in egress hosts, DestinationRule lookup) and on the Sidecar chosen. The
    /// converse does not hold (two namespaces may happen to see the same), so the number of scopes
    /// is bounded by namespaces plus workload-selecting Sidecars, never by proxies. The content of
    /// the Sidecar is not part of it: an edited Sidecar keeps its proxies in the same scope, whose
    /// resources are rebuilt. Forms: <c>ns/&lt;namespace&gt;/sidecar/&lt;sidecar namespace&gt;/&lt;name&gt;</c>,
    /// or <c>ns/&lt;namespace&gt;/default</c> when no Sidecar applies; each part escaped as URI data.
    /// </summary>
    public static string ScopeDescription(string proxyNamespace, SidecarSpec? sidecar)
    {
        ArgumentException.ThrowIfNullOrEmpty(proxyNamespace);
        var ns = "ns/" + Uri.EscapeDataString(proxyNamespace);
        return sidecar is null
            ? ns + "/default"
            : $"{ns}/sidecar/{Uri.EscapeDataString(sidecar.Namespace)}/{Uri.EscapeDataString(sidecar.Name)}";
    }

    /// <summary>The VirtualServices <paramref name="listener"/> imports, in Istio's order (see <see cref="VisibleVirtualServices"/>).</summary>
    private static IEnumerable<VirtualServiceSpec> ImportedVirtualServices(string proxyNamespace, SidecarEgressSpec listener, IReadOnlyCollection<VirtualServiceSpec> virtualServices, MeshScopingOptions options)
    {
        var exported = virtualServices
            .Where(v => v.AppliesToMesh && !v.IsDelegate && IsExported(v.Namespace, v.ExportTo, options.VirtualServiceExportTo, proxyNamespace))
            .OrderBy(v => Tier(v, proxyNamespace, options))
            .ThenBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal);
        foreach (var virtualService in exported)
        {
            // Selected when one of its hosts is imported and not excluded; another host may still select it.
            if (virtualService.Hosts.Any(h => ListenerImports(listener.Hosts, virtualService.Namespace, h, proxyNamespace, virtualService: true)))
            {
                yield return virtualService;
            }
        }
    }

    /// <summary>Istio's three VirtualService lists for a namespace: kept to it (0), exported to it by name (1), public (2).</summary>
    private static int Tier(VirtualServiceSpec virtualService, string proxyNamespace, MeshScopingOptions options)
    {
        var exportTo = virtualService.ExportTo is { Count: > 0 } own ? own : options.VirtualServiceExportTo;
        if (exportTo.Contains(AnyNamespace, StringComparer.Ordinal))
        {
            return 2;
        }

        var inNamespace = string.Equals(virtualService.Namespace, proxyNamespace, StringComparison.Ordinal);
        return inNamespace && (exportTo.Contains(OwnNamespace, StringComparer.Ordinal) || exportTo.Contains(proxyNamespace, StringComparer.Ordinal)) ? 0 : 1;
    }

    /// <summary>The port services must have to be imported by <paramref name="listener"/>: its port, unless it has none (or 0) or is an <c>HTTP_PROXY</c> (Istio's <c>needsPortMatch</c>).</summary>
    private static int? MatchedPort(SidecarEgressSpec listener) =>
        listener.Port is { Number: > 0 } port && port.Protocol != "HTTP_PROXY" ? port.Number : null;

    /// <summary>The rules of <paramref name="tier"/> for this proxy: a selecting rule of its namespace that selects it, else those without a selector.</summary>
    private static IReadOnlyList<DestinationRuleSpec> ForProxy(List<DestinationRuleSpec> tier, string proxyNamespace, IReadOnlyDictionary<string, string>? proxyLabels)
    {
        if (proxyLabels is not null
            && tier.FirstOrDefault(r => r.WorkloadSelector is not null && InNamespace(r, proxyNamespace) && EndpointTranslator.Selects(r.WorkloadSelector, proxyLabels)) is { } selecting)
        {
            return [selecting];
        }

        return tier.Where(r => r.WorkloadSelector is null).ToList();
    }

    /// <summary>The rules for the most specific host among <paramref name="rules"/> (all matching one hostname), oldest first; empty when none.</summary>
    private static List<DestinationRuleSpec> MostSpecific(List<DestinationRuleSpec> rules)
    {
        string? best = null;
        foreach (var rule in rules)
        {
            if (best is null || DestinationRules.MoreSpecific(rule.Host, best))
            {
                best = rule.Host;
            }
        }

        return rules.Where(r => string.Equals(r.Host, best, StringComparison.Ordinal)).Order(DestinationRules.Oldest).ToList();
    }

    /// <summary>A rule's exportTo, or the default as Istio reads it for rules: <c>.</c> when the default holds it, else <c>*</c>.</summary>
    private static IReadOnlyList<string> RuleExportTo(DestinationRuleSpec rule, bool privateDefault) =>
        rule.WorkloadSelector is not null ? [OwnNamespace]
        : rule.ExportTo is { Count: > 0 } exportTo ? exportTo
        : privateDefault ? [OwnNamespace] : [AnyNamespace];

    /// <summary>Istio's <c>isPrivateOnly</c>: a rule exported to its own namespace alone.</summary>
    private static bool PrivateOnly(DestinationRuleSpec rule, bool privateDefault)
    {
        var exportTo = RuleExportTo(rule, privateDefault);
        return exportTo.Count == 1 && (exportTo[0] == OwnNamespace || string.Equals(exportTo[0], rule.Namespace, StringComparison.Ordinal));
    }

    private static bool InNamespace(DestinationRuleSpec rule, string ns) => string.Equals(rule.Namespace, ns, StringComparison.Ordinal);

    private static bool InNamespace(EgressHost host, string objectNamespace) =>
        host.Namespace == AnyNamespace || string.Equals(host.Namespace, objectNamespace, StringComparison.Ordinal);

    /// <summary>
    /// An egress host split as Istio's <c>convertIstioListenerToWrapper</c> does: a leading <c>~</c>
    /// marks an exclusion (alone it means any namespace), <c>.</c> is the proxy's namespace. Null
    /// when it is not <c>namespace/dnsName</c> (Istio logs and skips such a host).
    /// </summary>
    private static EgressHost? Parse(string egressHost, string proxyNamespace)
    {
        var slash = egressHost.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || egressHost.IndexOf('/', slash + 1) >= 0)
        {
            return null;
        }

        var ns = egressHost[..slash];
        var excluded = ns.StartsWith(None, StringComparison.Ordinal);
        if (excluded)
        {
            ns = ns[1..];
            if (ns.Length == 0)
            {
                ns = AnyNamespace;
            }
        }

        if (ns == OwnNamespace)
        {
            ns = proxyNamespace;
        }

        return new EgressHost(ns, egressHost[(slash + 1)..], excluded);
    }

    /// <summary>Istio's <c>host.Name.SubsetOf</c>: whether every name <paramref name="name"/> covers is covered by <paramref name="other"/>.</summary>
    private static bool SubsetOf(string name, string other)
    {
        var nameWild = name.StartsWith('*');
        var otherWild = other.StartsWith('*');
        if (nameWild)
        {
            return otherWild && name.Length >= other.Length && name.AsSpan(1).EndsWith(other.AsSpan(1), StringComparison.Ordinal);
        }

        return otherWild
            ? name.AsSpan().EndsWith(other.AsSpan(1), StringComparison.Ordinal)
            : string.Equals(name, other, StringComparison.Ordinal);
    }

    /// <summary>Istio's <c>host.Name.Matches</c>: whether the two names overlap (either covers the other).</summary>
    private static bool Overlaps(string name, string other) => SubsetOf(name, other) || SubsetOf(other, name);

    private static SidecarSpec Older(SidecarSpec? current, SidecarSpec candidate) =>
        current is null || Oldest.Compare(candidate, current) < 0 ? candidate : current;

    private sealed record EgressHost(string Namespace, string Name, bool Excluded);
}
