using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// One member cluster's objects, indexed by the hostnames they touch: per hostname its Service,
/// its EndpointSlices and the VirtualServices bound to it, per destination hostname the
/// VirtualServices that route to it, per rule host (a name or a <c>*.</c> wildcard) the
/// DestinationRules for it, and per Pod its labels and the slices whose endpoints name it (so a
/// label change recomputes only those slices' hostnames), and per host the ServiceEntries that
/// declare it (each of an entry's hosts is a mesh hostname as a Service's is: VirtualServices and
/// DestinationRules bind to it, routes reach it; a Kubernetes Service of the same hostname wins, as
/// in Istio, and of several entries the first by namespace and name). A change of some objects answers which hostnames' inputs
/// it may have changed, so the cost of a change follows the hostnames it touches, not the size
/// of the cluster; <see cref="Input"/> then builds one hostname's input from the indexes.
/// </summary>
/// <remarks>
/// Objects are recognised by instance: handing the same instance again changes nothing. The
/// set of hostnames a change returns may be larger than the set whose input really changed
/// (the input's hash decides that), never smaller.
/// </remarks>
public sealed partial class ClusterIndex
{
    private static readonly NamespacedNameComparer s_byNamespacedName = new();

    private readonly Dictionary<MeshObjectKey, object> _objects = [];
    private readonly Dictionary<string, MeshService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<int>> _ports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<(string Namespace, string Name), MeshEndpointSlice>> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<(string Namespace, string Name), VirtualServiceSpec>> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<MeshObjectKey, VirtualServiceSpec>> _routingTo = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Name), VirtualServiceSpec> _delegates = [];
    private readonly Dictionary<(string Namespace, string Name), Dictionary<MeshObjectKey, VirtualServiceSpec>> _delegatedBy = [];
    private readonly Dictionary<string, SortedDictionary<(string Namespace, string Name), DestinationRuleSpec>> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MeshPod> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<MeshObjectKey>> _podSlices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<(string Namespace, string Name), ServiceEntrySpec>> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, MeshPod>> _podsByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<MeshObjectKey, ServiceEntrySpec>> _selectors = new(StringComparer.Ordinal);
    private readonly Dictionary<MeshObjectKey, IReadOnlyList<ConfigWarning>> _warnings = [];
    private readonly SortedDictionary<(string Namespace, string Name), EnvoyFilterSpec> _envoyFilters = new(s_byNamespacedName);
    private readonly SortedDictionary<(string Namespace, string Name), PeerAuthenticationSpec> _peerAuthentications = new(s_byNamespacedName);
    private readonly SortedDictionary<(string Namespace, string Name), AuthorizationPolicySpec> _authorizationPolicies = new(s_byNamespacedName);
    private readonly Dictionary<(string Namespace, string Name), MeshSecret> _secrets = [];
    private IReadOnlyList<ConfigWarning>? _orderedWarnings = [];

    /// <summary>How many objects the cluster holds.</summary>
    public int Count => _objects.Count;

    /// <summary>
    /// The cluster's EnvoyFilters by namespace and name. What an EnvoyFilter selects is part of a
    /// proxy's scope (<see cref="EnvoyFiltersFor"/>), so a change of one touches no hostname.
    /// </summary>
    public IReadOnlyCollection<EnvoyFilterSpec> EnvoyFilters => _envoyFilters.Values;

    /// <summary>
    /// The AuthorizationPolicies that apply to a workload of <paramref name="ns"/> with
    /// <paramref name="labels"/>, as Istio's <c>ListAuthorizationPolicies</c> picks them: those of the
    /// root namespace and of <paramref name="ns"/> without a selector or with one the labels satisfy
    /// (a root-namespace selector selects in every namespace); by namespace, then creation time and name.
    /// </summary>
    public List<AuthorizationPolicySpec> AuthorizationPoliciesFor(string ns, IReadOnlyDictionary<string, string> labels) =>
        _authorizationPolicies.Values
            .Where(p => (p.Namespace == RootNamespace || p.Namespace == ns)
                && (p.Selector is null || p.Selector.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)))
            .OrderBy(p => p.Namespace == RootNamespace ? 0 : 1)
            .ThenBy(p => p.CreationTimestamp ?? DateTimeOffset.MinValue)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The Secret <paramref name="name"/> of <paramref name="ns"/> that holds a TLS credential, or
    /// null. Secrets touch no hostname: gateways fetch them over SDS, by name.
    /// </summary>
    public MeshSecret? SecretOf(string ns, string name) => _secrets.GetValueOrDefault((ns, name));

    /// <summary>The trust domain of workload identities; the ClusterGrain sets it from the security options.</summary>
    public string TrustDomain { get; set; } = "cluster.local";

    /// <summary>The mesh's root namespace (its PeerAuthentications apply to every workload); the ClusterGrain sets it from the scoping options.</summary>
    public string RootNamespace { get; set; } = "istio-system";

    /// <summary>The mutual TLS modes of <paramref name="pod"/>'s workload, from this cluster's PeerAuthentications (<see cref="Security.PeerAuthentications.Compose"/>).</summary>
    public Security.EffectiveMtls MtlsOf(MeshPod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Security.PeerAuthentications.Compose(_peerAuthentications.Values, pod.Namespace, pod.Labels, RootNamespace);
    }

    /// <summary>
    /// The valid objects that refer to what the cluster does not have, in kind, namespace, name
    /// and field order (see <see cref="ConfigAnalyzer"/>); kept up to date object by object.
    /// </summary>
    public IReadOnlyList<ConfigWarning> Warnings => _orderedWarnings ??= ConfigAnalyzer.Ordered(_warnings.Values.SelectMany(w => w));

    /// <summary>Replaces everything the cluster holds with <paramref name="objects"/>; returns the hostnames touched.</summary>
    public HashSet<string> Replace(IEnumerable<object> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var next = new Dictionary<MeshObjectKey, object>();
        foreach (var value in objects)
        {
            next[MeshObjectKey.Of(value)] = value;
        }

        var gone = _objects.Keys.Where(k => !next.ContainsKey(k)).ToList();
        return Change(next.Values, gone);
    }

    /// <summary>Adds or replaces <paramref name="upserted"/> and removes <paramref name="deleted"/>; returns the hostnames touched.</summary>
    public HashSet<string> Change(IEnumerable<object> upserted, IEnumerable<MeshObjectKey> deleted)
    {
        ArgumentNullException.ThrowIfNull(upserted);
        ArgumentNullException.ThrowIfNull(deleted);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var reanalyze = new HashSet<MeshObjectKey>();
        foreach (var key in deleted)
        {
            Set(key, null, touched, reanalyze);
        }

        foreach (var value in upserted)
        {
            Set(MeshObjectKey.Of(value), value, touched, reanalyze);
        }

        foreach (var key in reanalyze)
        {
            IReadOnlyList<ConfigWarning> warnings = _objects.GetValueOrDefault(key) switch
            {
                VirtualServiceSpec virtualService => [.. ConfigAnalyzer.ForVirtualService(virtualService, _ports,
                    h => _routes.GetValueOrDefault(h)?.Values ?? Enumerable.Empty<VirtualServiceSpec>(), RulesFor),
                    .. GatewayWarnings(virtualService)],
                DestinationRuleSpec rule => ConfigAnalyzer.ForDestinationRule(rule, _ports, Group(rule), RulesFor),
                MeshEndpointSlice slice => ConfigAnalyzer.ForEndpointSlice(slice, _ports),
                ServiceEntrySpec entry => ConfigAnalyzer.ForServiceEntry(entry, _services.ContainsKey,
                    h => _entries.GetValueOrDefault(h)?.Values ?? Enumerable.Empty<ServiceEntrySpec>()),
                SidecarSpec sidecar => SidecarNotApplied(sidecar),
                _ => [],
            };
            var had = _warnings.TryGetValue(key, out var before);
            if (warnings.Count == 0 ? had : !had || !before!.SequenceEqual(warnings))
            {
                _orderedWarnings = null;
                if (warnings.Count == 0)
                {
                    _warnings.Remove(key);
                }
                else
                {
                    _warnings[key] = warnings;
                }
            }
        }

        return touched;
    }

    /// <summary>
    /// The input of <paramref name="hostname"/>: its Service, the EndpointSlices labelled with
    /// its name, the VirtualServices whose hosts include it, the ports of every destination
    /// those VirtualServices name, and the ports on which routes name a cluster of it that its
    /// Service does not define; the DestinationRules bound to it (see <see cref="DestinationRules.Bind"/>)
    /// and the subset clusters routes name that it lacks; with subsets, its endpoints carry their
    /// pods' labels. Null when the cluster declares nothing for it.
    /// </summary>
    public ServiceInput? Input(string hostname)
    {
        var service = _services.GetValueOrDefault(hostname);
        var entry = service is null ? EntryFor(hostname) : null;
        var candidates = CandidateRulesFor(hostname);
        var rules = DestinationRules.Bind(hostname, candidates);
        var rule = DestinationRules.Merge(rules);

        // Pods' labels when some rule (this one, or one a namespace looks up) selects subsets; and
        // whether each pod takes mesh mutual TLS.
        var withLabels = candidates.Any(r => r.Subsets.Count > 0);
        IReadOnlyList<MeshEndpointSlice> slices = _slices.TryGetValue(hostname, out var bySlice)
            ? bySlice.Values.Select(s => WithPods(s, withLabels)).ToList()
            : [];
        var virtualServices = _routes.TryGetValue(hostname, out var byRoute) ? byRoute.Values.ToList() : [];

        // The delegate VirtualServices the bound ones name, which have no hosts of their own.
        virtualServices.AddRange(Delegates(virtualServices)
            .Select(d => _delegates.GetValueOrDefault(d))
            .OfType<VirtualServiceSpec>()
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal));
        var destinationPorts = new SortedDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var destination in virtualServices.SelectMany(RouteDestinations.Hosts))
        {
            if (_ports.TryGetValue(destination, out var ports))
            {
                destinationPorts[destination] = ports;
            }
        }

        SortedSet<int>? referenced = null;
        SortedSet<(int Port, string Subset)>? referencedSubsets = null;
        var hostPorts = _ports.GetValueOrDefault(hostname);
        foreach (var virtualService in _routingTo.GetValueOrDefault(hostname)?.Values ?? Enumerable.Empty<VirtualServiceSpec>())
        {
            foreach (var (h, port, d) in RouteDestinations.Missing(virtualService, _ports))
            {
                var destination = virtualService.Http[h].Route[d];
                if (string.Equals(destination.Host, hostname, StringComparison.Ordinal))
                {
                    (referenced ??= []).Add(RouteDestinations.Port(destination, port, _ports));
                }
            }

            foreach (var (_, _, host, port, subset) in SubsetReferences.Named(virtualService, _ports))
            {
                // With rules a namespace may look up instead, every named subset: the translator keeps those a view lacks.
                if (string.Equals(host, hostname, StringComparison.Ordinal) && SubsetReferences.Lacks(hostPorts, candidates.Count > 0 ? null : rule, port, subset))
                {
                    (referencedSubsets ??= []).Add((port, subset));
                }
            }
        }

        // The mesh VirtualServices routing here, in name order: who imports one may see this hostname.
        var importers = _routingTo.GetValueOrDefault(hostname)?.Values
            .Where(v => v.AppliesToMesh && !v.IsDelegate)
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => new VirtualServiceImport(v.Namespace, v.Name, v.ExportTo, v.Hosts))
            .ToList();
        return service is null && entry is null && slices.Count == 0 && virtualServices.Count == 0 && referenced is null && referencedSubsets is null
            ? null
            : new ServiceInput(service, slices, virtualServices, destinationPorts, referenced?.ToList(),
                rules.Count == 0 ? null : rules,
                referencedSubsets?.Select(r => new ReferencedSubset(r.Port, r.Subset)).ToList(),
                entry,
                importers is { Count: > 0 } ? importers : null,
                candidates.Count > 0 ? candidates : null);
    }

    /// <summary>
    /// The ServiceEntry that declares <paramref name="hostname"/> (the first by namespace and
    /// name; Istio takes the oldest), with a <c>workloadSelector</c> resolved: its endpoints are
    /// then the pods of its namespace that carry every selector label and have an IP, in name
    /// order, each with its labels (so DestinationRule subsets select among them). Null when no entry declares it.
    /// </summary>
    private ServiceEntrySpec? EntryFor(string hostname)
    {
        if (!_entries.TryGetValue(hostname, out var entries))
        {
            return null;
        }

        var entry = entries.Values.First();
        if (entry.WorkloadSelector is not { } selector)
        {
            return entry;
        }

        var selected = (_podsByNamespace.GetValueOrDefault(entry.Namespace)?.Values ?? Enumerable.Empty<MeshPod>())
            .Where(p => p.Ip is not null && EndpointTranslator.Selects(selector, p.Labels))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new WorkloadEntrySpec(p.Ip!, new Dictionary<string, int>(), p.Labels, null, null, null, null))
            .ToList();
        return entry with { Endpoints = selected };
    }

    /// <summary>
    /// The DestinationRules bound to <paramref name="hostname"/>, oldest first: those for the
    /// name itself and for every wildcard matching it, chosen as <see cref="DestinationRules.Bind"/> says.
    /// </summary>
    public IReadOnlyList<DestinationRuleSpec> RulesFor(string hostname) => DestinationRules.Bind(hostname, CandidateRulesFor(hostname));

    /// <summary>
    /// Every rule whose host matches <paramref name="hostname"/> (the name itself, or a wildcard),
    /// of any namespace, in namespace then name order: those a proxy's namespace may look up.
    /// </summary>
    public IReadOnlyList<DestinationRuleSpec> CandidateRulesFor(string hostname)
    {
        var candidates = new List<DestinationRuleSpec>();
        if (_rules.TryGetValue(hostname, out var exact))
        {
            candidates.AddRange(exact.Values);
        }

        foreach (var wildcard in _wildcards)
        {
            if (DestinationRules.Matches(wildcard, hostname))
            {
                candidates.AddRange(_rules[wildcard].Values);
            }
        }

        return candidates
            .OrderBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The mesh-wide rules of <paramref name="rule"/>'s namespace for the same host, oldest first: those that merge with it.</summary>
    private IReadOnlyList<DestinationRuleSpec> Group(DestinationRuleSpec rule) =>
        (_rules.GetValueOrDefault(rule.Host)?.Values ?? Enumerable.Empty<DestinationRuleSpec>())
            .Where(r => string.Equals(r.Namespace, rule.Namespace, StringComparison.Ordinal) && DestinationRules.IsMeshWide(r))
            .Order(DestinationRules.Oldest)
            .ToList();

    /// <summary>
    /// <paramref name="slice"/> with each endpoint that names a known Pod carrying its labels (when
    /// <paramref name="labels"/>), and, when the pod takes mesh mutual TLS, its TLS mode and the ports
    /// its PeerAuthentications disable it on (Istio's endpoint builder, <c>mtls_checker.go</c>).
    /// </summary>
    private MeshEndpointSlice WithPods(MeshEndpointSlice slice, bool labels)
    {
        if (!slice.Endpoints.Any(e => PodOf(e, slice) is not null))
        {
            return slice;
        }

        return slice with
        {
            Endpoints = slice.Endpoints.Select(e => PodOf(e, slice) is { } pod ? WithPod(e, pod, labels) : e).ToList(),
        };
    }

    private SliceEndpoint WithPod(SliceEndpoint endpoint, MeshPod pod, bool labels)
    {
        var joined = labels ? endpoint with { Labels = pod.Labels } : endpoint;
        if (pod.ServiceAccount is { } account)
        {
            joined = joined with { Identity = $"spiffe://{TrustDomain}/ns/{pod.Namespace}/sa/{account}" };
        }

        if (!pod.Labels.TryGetValue(Security.PeerAuthentications.TlsModeLabel, out var mode) || mode != "istio")
        {
            return joined;
        }

        var mtls = MtlsOf(pod);
        if (mtls.Mode == MtlsMode.Disable)
        {
            // (A port-level mode enabling mutual TLS on a workload that disables it is not followed: the endpoint stays plaintext.)
            return joined;
        }

        var plaintext = mtls.PerPort.Where(p => p.Value == MtlsMode.Disable).Select(p => p.Key).ToList();
        return joined with { TlsMode = "istio", PlaintextPorts = plaintext is { Count: > 0 } ? plaintext : null };
    }

    private MeshPod? PodOf(SliceEndpoint endpoint, MeshEndpointSlice slice) =>
        MeshPod.PodOf(endpoint.TargetRef, slice.Namespace) is { } podRef ? _pods.GetValueOrDefault(podRef) : null;

    /// <summary>Every hostname the index may hold an input for.</summary>
    private IEnumerable<string> KnownHosts() =>
        _services.Keys.Concat(_entries.Keys).Concat(_slices.Keys).Concat(_routes.Keys).Concat(_routingTo.Keys).Distinct(StringComparer.Ordinal);

    private void Set(MeshObjectKey key, object? value, HashSet<string> touched, HashSet<MeshObjectKey> reanalyze)
    {
        _objects.TryGetValue(key, out var old);
        if (ReferenceEquals(old, value))
        {
            return;
        }

        if (key.Kind is "Gateway" or "VirtualService" or "Service" or "ServiceEntry" or "EnvoyFilter")
        {
            GatewayGeneration++;
        }

        if (old is not null)
        {
            Touch(key, old, touched, reanalyze);
            Unindex(key, old);
            _objects.Remove(key);
        }

        if (value is not null)
        {
            _objects[key] = value;
            Index(key, value);
            Touch(key, value, touched, reanalyze);
        }
    }

    /// <summary>The hostnames whose input may depend on <paramref name="value"/>, and the objects whose warnings may.</summary>
    private void Touch(MeshObjectKey key, object value, HashSet<string> touched, HashSet<MeshObjectKey> reanalyze)
    {
        switch (value)
        {
            case MeshService service:
                TouchHost(service.Hostname, touched, reanalyze);
                break;
            case ServiceEntrySpec entry:
                reanalyze.Add(key);
                foreach (var entryHost in entry.Hosts)
                {
                    TouchHost(entryHost, touched, reanalyze);
                }

                break;
            case MeshEndpointSlice slice:
                touched.Add(slice.ServiceHostname);
                reanalyze.Add(key);
                break;
            case VirtualServiceSpec virtualService:
                // The hosts of a VirtualService bound only to gateways are no hostnames of the mesh.
                var meshHosts = virtualService.AppliesToMesh ? virtualService.Hosts : [];
                touched.UnionWith(meshHosts);
                touched.UnionWith(Destinations(virtualService));
                reanalyze.Add(key);

                // Whether several VirtualServices bind one host is a warning of each of them.
                foreach (var sibling in meshHosts.SelectMany(h => _routes.GetValueOrDefault(h)?.Values ?? Enumerable.Empty<VirtualServiceSpec>()))
                {
                    reanalyze.Add(MeshObjectKey.Of(sibling));
                }

                // A delegate's routes are served under the hosts of the roots that name it.
                foreach (var root in _delegatedBy.GetValueOrDefault((virtualService.Namespace, virtualService.Name))?.Values ?? Enumerable.Empty<VirtualServiceSpec>())
                {
                    touched.UnionWith(root.AppliesToMesh ? root.Hosts : []);
                }

                break;
            case SidecarSpec:
                reanalyze.Add(key);
                break;
            case PeerAuthenticationSpec peer:
                // Which endpoints take mutual TLS: those of its namespace, or of every namespace (the mesh's).
                foreach (var (host, slices) in _slices)
                {
                    if (peer.Namespace == RootNamespace || slices.Keys.Any(k => k.Namespace == peer.Namespace))
                    {
                        touched.Add(host);
                    }
                }

                break;
            case GatewaySpec:
                // Whether the gateways VirtualServices name exist.
                reanalyze.UnionWith(_gatewayBound.Values.Select(MeshObjectKey.Of));
                break;
            case DestinationRuleSpec rule:
                // The hosts it may bind to; for each, the routes naming its subsets. The rules for
                // the same host merge with it or compete with it, and a wildcard competes with the
                // rules for every name it matches.
                var hosts = DestinationRules.IsWildcard(rule.Host)
                    ? KnownHosts().Where(h => DestinationRules.Matches(rule.Host, h)).ToList()
                    : [rule.Host];
                foreach (var matched in hosts)
                {
                    touched.Add(matched);
                    reanalyze.UnionWith(_routingTo.GetValueOrDefault(matched)?.Keys ?? Enumerable.Empty<MeshObjectKey>());
                }

                reanalyze.Add(key);
                foreach (var (pattern, rules) in _rules)
                {
                    if (string.Equals(pattern, rule.Host, StringComparison.Ordinal)
                        || (!DestinationRules.IsWildcard(pattern) && DestinationRules.Matches(rule.Host, pattern)))
                    {
                        reanalyze.UnionWith(rules.Values.Select(MeshObjectKey.Of));
                    }
                }

                break;
            case MeshPod pod:
                foreach (var sliceKey in _podSlices.GetValueOrDefault(pod.TargetRef) ?? [])
                {
                    touched.Add(((MeshEndpointSlice)_objects[sliceKey]).ServiceHostname);
                }

                // The ServiceEntries of its namespace whose workloadSelector selects it.
                foreach (var selecting in _selectors.GetValueOrDefault(pod.Namespace)?.Values ?? Enumerable.Empty<ServiceEntrySpec>())
                {
                    if (EndpointTranslator.Selects(selecting.WorkloadSelector, pod.Labels))
                    {
                        touched.UnionWith(selecting.Hosts);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// A Service or ServiceEntry for <paramref name="host"/> came or went: its ports decide which
    /// routes apply (VirtualServices bound to it), which destinations exist (VirtualServices routing
    /// to it), and so what the hosts and destinations of those VirtualServices get; and the warnings
    /// of the slices, rules and entries of the host may change.
    /// </summary>
    private void TouchHost(string host, HashSet<string> touched, HashSet<MeshObjectKey> reanalyze)
    {
        touched.Add(host);
        var bound = _routes.GetValueOrDefault(host)?.Values ?? Enumerable.Empty<VirtualServiceSpec>();
        var routing = _routingTo.GetValueOrDefault(host)?.Values ?? Enumerable.Empty<VirtualServiceSpec>();
        foreach (var virtualService in bound.Concat(routing))
        {
            touched.UnionWith(virtualService.Hosts);
            touched.UnionWith(Destinations(virtualService));
            reanalyze.Add(MeshObjectKey.Of(virtualService));
        }

        foreach (var slice in _slices.GetValueOrDefault(host)?.Values ?? Enumerable.Empty<MeshEndpointSlice>())
        {
            reanalyze.Add(MeshObjectKey.Of(slice));
        }

        // Whether a rule for it names a host of the mesh.
        foreach (var rule in _rules.GetValueOrDefault(host)?.Values ?? Enumerable.Empty<DestinationRuleSpec>())
        {
            reanalyze.Add(MeshObjectKey.Of(rule));
        }

        // Whether an entry for it is shadowed by a Service or an earlier entry.
        foreach (var entry in _entries.GetValueOrDefault(host)?.Values ?? Enumerable.Empty<ServiceEntrySpec>())
        {
            reanalyze.Add(MeshObjectKey.Of(entry));
        }
    }

    /// <summary>The ports of <paramref name="host"/>: its Service's, else its first ServiceEntry's; none when neither exists.</summary>
    private void RefreshPorts(string host)
    {
        if (_services.TryGetValue(host, out var service))
        {
            _ports[host] = service.Ports.Select(p => p.Port).ToList();
        }
        else if (_entries.TryGetValue(host, out var entries))
        {
            _ports[host] = entries.Values.First().Ports.Select(p => p.Number).ToList();
        }
        else
        {
            _ports.Remove(host);
        }
    }

    private void Index(MeshObjectKey key, object value)
    {
        switch (value)
        {
            case MeshService service:
                _services[service.Hostname] = service;
                RefreshPorts(service.Hostname);
                break;
            case ServiceEntrySpec entry:
                foreach (var host in entry.Hosts)
                {
                    Bucket(_entries, host)[(entry.Namespace, entry.Name)] = entry;
                    RefreshPorts(host);
                }

                if (entry.WorkloadSelector is not null)
                {
                    if (!_selectors.TryGetValue(entry.Namespace, out var selecting))
                    {
                        _selectors[entry.Namespace] = selecting = [];
                    }

                    selecting[key] = entry;
                }

                break;
            case MeshEndpointSlice slice:
                Bucket(_slices, slice.ServiceHostname)[(slice.Namespace, slice.Name)] = slice;
                foreach (var podRef in PodRefs(slice))
                {
                    if (!_podSlices.TryGetValue(podRef, out var naming))
                    {
                        _podSlices[podRef] = naming = [];
                    }

                    naming.Add(key);
                }

                break;
            case DestinationRuleSpec rule:
                Bucket(_rules, rule.Host)[(rule.Namespace, rule.Name)] = rule;
                if (DestinationRules.IsWildcard(rule.Host))
                {
                    _wildcards.Add(rule.Host);
                }

                break;
            case MeshPod pod:
                _pods[pod.TargetRef] = pod;
                if (!_podsByNamespace.TryGetValue(pod.Namespace, out var inNamespace))
                {
                    _podsByNamespace[pod.Namespace] = inNamespace = new Dictionary<string, MeshPod>(StringComparer.Ordinal);
                }

                inNamespace[pod.Name] = pod;
                IndexPodIp(pod);
                break;
            case GatewaySpec gateway:
                _gateways[(gateway.Namespace, gateway.Name)] = gateway;
                break;
            case SidecarSpec sidecar:
                IndexSidecar(sidecar);
                break;
            case EnvoyFilterSpec envoyFilter:
                _envoyFilters[(envoyFilter.Namespace, envoyFilter.Name)] = envoyFilter;
                SidecarGeneration++;
                break;
            case PeerAuthenticationSpec peer:
                // What a workload's inbound side takes: every workload is looked at again.
                _peerAuthentications[(peer.Namespace, peer.Name)] = peer;
                SidecarGeneration++;
                break;
            case AuthorizationPolicySpec policy:
                _authorizationPolicies[(policy.Namespace, policy.Name)] = policy;
                SidecarGeneration++;
                break;
            case MeshSecret secret:
                _secrets[(secret.Namespace, secret.Name)] = secret;
                break;
            case VirtualServiceSpec virtualService:
                foreach (var host in virtualService.AppliesToMesh ? virtualService.Hosts : [])
                {
                    Bucket(_routes, host)[(virtualService.Namespace, virtualService.Name)] = virtualService;
                }

                if (GatewayBinding.BindsGateways(virtualService))
                {
                    _gatewayBound[(virtualService.Namespace, virtualService.Name)] = virtualService;
                }

                if (virtualService.IsDelegate)
                {
                    _delegates[(virtualService.Namespace, virtualService.Name)] = virtualService;
                }

                foreach (var target in Delegates([virtualService]))
                {
                    if (!_delegatedBy.TryGetValue(target, out var roots))
                    {
                        _delegatedBy[target] = roots = [];
                    }

                    roots[key] = virtualService;
                }

                foreach (var destination in Destinations(virtualService))
                {
                    if (!_routingTo.TryGetValue(destination, out var routing))
                    {
                        _routingTo[destination] = routing = [];
                    }

                    routing[key] = virtualService;
                }

                break;
        }
    }

    private void Unindex(MeshObjectKey key, object value)
    {
        switch (value)
        {
            case MeshService service:
                _services.Remove(service.Hostname);
                RefreshPorts(service.Hostname);
                break;
            case ServiceEntrySpec entry:
                foreach (var host in entry.Hosts)
                {
                    Unbucket(_entries, host, (entry.Namespace, entry.Name));
                    RefreshPorts(host);
                }

                if (_selectors.TryGetValue(entry.Namespace, out var selectors) && selectors.Remove(key) && selectors.Count == 0)
                {
                    _selectors.Remove(entry.Namespace);
                }

                break;
            case MeshEndpointSlice slice:
                Unbucket(_slices, slice.ServiceHostname, (slice.Namespace, slice.Name));
                foreach (var podRef in PodRefs(slice))
                {
                    if (_podSlices.TryGetValue(podRef, out var naming) && naming.Remove(key) && naming.Count == 0)
                    {
                        _podSlices.Remove(podRef);
                    }
                }

                break;
            case DestinationRuleSpec rule:
                Unbucket(_rules, rule.Host, (rule.Namespace, rule.Name));
                if (!_rules.ContainsKey(rule.Host))
                {
                    _wildcards.Remove(rule.Host);
                }

                break;
            case MeshPod pod:
                _pods.Remove(pod.TargetRef);
                if (_podsByNamespace.TryGetValue(pod.Namespace, out var podsThere) && podsThere.Remove(pod.Name) && podsThere.Count == 0)
                {
                    _podsByNamespace.Remove(pod.Namespace);
                }

                UnindexPodIp(pod);
                break;
            case GatewaySpec gateway:
                _gateways.Remove((gateway.Namespace, gateway.Name));
                break;
            case SidecarSpec sidecar:
                UnindexSidecar(sidecar);
                break;
            case EnvoyFilterSpec envoyFilter:
                _envoyFilters.Remove((envoyFilter.Namespace, envoyFilter.Name));
                SidecarGeneration++;
                break;
            case PeerAuthenticationSpec peer:
                _peerAuthentications.Remove((peer.Namespace, peer.Name));
                SidecarGeneration++;
                break;
            case AuthorizationPolicySpec policy:
                _authorizationPolicies.Remove((policy.Namespace, policy.Name));
                SidecarGeneration++;
                break;
            case MeshSecret secret:
                _secrets.Remove((secret.Namespace, secret.Name));
                break;
            case VirtualServiceSpec virtualService:
                foreach (var host in virtualService.AppliesToMesh ? virtualService.Hosts : [])
                {
                    Unbucket(_routes, host, (virtualService.Namespace, virtualService.Name));
                }

                _gatewayBound.Remove((virtualService.Namespace, virtualService.Name));

                if (virtualService.IsDelegate)
                {
                    _delegates.Remove((virtualService.Namespace, virtualService.Name));
                }

                foreach (var target in Delegates([virtualService]))
                {
                    if (_delegatedBy.TryGetValue(target, out var roots) && roots.Remove(key) && roots.Count == 0)
                    {
                        _delegatedBy.Remove(target);
                    }
                }

                foreach (var destination in Destinations(virtualService))
                {
                    if (_routingTo.TryGetValue(destination, out var routing) && routing.Remove(key) && routing.Count == 0)
                    {
                        _routingTo.Remove(destination);
                    }
                }

                break;
        }
    }

    private static IEnumerable<string> PodRefs(MeshEndpointSlice slice) =>
        slice.Endpoints.Select(e => MeshPod.PodOf(e.TargetRef, slice.Namespace)).OfType<string>().Distinct(StringComparer.Ordinal);

    private static IEnumerable<string> Destinations(VirtualServiceSpec virtualService) =>
        RouteDestinations.Hosts(virtualService).Distinct(StringComparer.Ordinal);

    private static IEnumerable<(string Namespace, string Name)> Delegates(IEnumerable<VirtualServiceSpec> virtualServices) =>
        virtualServices.SelectMany(v => v.Http).Select(h => h.Delegate).OfType<DelegateSpec>().Select(d => (d.Namespace, d.Name)).Distinct();

    private static SortedDictionary<(string Namespace, string Name), T> Bucket<T>(Dictionary<string, SortedDictionary<(string Namespace, string Name), T>> index, string host)
    {
        if (!index.TryGetValue(host, out var bucket))
        {
            index[host] = bucket = new SortedDictionary<(string Namespace, string Name), T>(s_byNamespacedName);
        }

        return bucket;
    }

    private static void Unbucket<T>(Dictionary<string, SortedDictionary<(string Namespace, string Name), T>> index, string host, (string Namespace, string Name) name)
    {
        if (index.TryGetValue(host, out var bucket) && bucket.Remove(name) && bucket.Count == 0)
        {
            index.Remove(host);
        }
    }

    /// <summary>Namespace, then name, ordinal: the order inputs list their objects in.</summary>
    private sealed class NamespacedNameComparer : IComparer<(string Namespace, string Name)>
    {
        public int Compare((string Namespace, string Name) x, (string Namespace, string Name) y)
        {
            var byNamespace = string.CompareOrdinal(x.Namespace, y.Namespace);
            return byNamespace != 0 ? byNamespace : string.CompareOrdinal(x.Name, y.Name);
        }
    }
}
