using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Scoping;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// The Sidecars of a member cluster, by namespace. Held and answered only: which proxies a Sidecar
/// scopes, and to what, is decided by <see cref="Scoping.ProxyVisibility"/>; no hostname's input depends on a Sidecar.
/// </summary>
public sealed partial class ClusterIndex
{
    private readonly Dictionary<string, SortedDictionary<string, SidecarSpec>> _sidecars = new(StringComparer.Ordinal);

    /// <summary>Counts the changes to the cluster's Sidecars (one came, went or changed), so a caller knows when to ask <see cref="SidecarsIn"/> again.</summary>
    public long SidecarGeneration { get; private set; }

    /// <summary>The Sidecars of namespace <paramref name="ns"/>, in name order; empty when it has none.</summary>
    public IReadOnlyList<SidecarSpec> SidecarsIn(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        return _sidecars.TryGetValue(ns, out var sidecars) ? sidecars.Values.ToList() : [];
    }

    /// <summary>The warning every Sidecar carries until scoping applies it: read and validated, not applied.</summary>
    // The pods at each IP (host-network pods share their node's), and the IPs whose pods changed.
    private readonly Dictionary<string, SortedDictionary<string, MeshPod>> _podsByIp = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedPodIps = new(StringComparer.Ordinal);

    /// <summary>The pod at <paramref name="ip"/> (of several, the first by namespace and name), or null.</summary>
    public MeshPod? PodAt(string ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        return _podsByIp.TryGetValue(ip, out var pods) ? pods.Values.First() : null;
    }

    /// <summary>The IPs whose pods were added, changed or removed since the last call.</summary>
    public HashSet<string> TakeChangedPodIps()
    {
        var ips = new HashSet<string>(_changedPodIps, StringComparer.Ordinal);
        _changedPodIps.Clear();
        return ips;
    }

    /// <summary>
    /// The Sidecar that applies to a proxy of <paramref name="proxyNamespace"/> with
    /// <paramref name="labels"/> (<see cref="ProxyVisibility.SelectSidecar"/> over this cluster's
    /// Sidecars of that namespace and of <paramref name="rootNamespace"/>), or null.
    /// </summary>
    public SidecarSpec? SidecarFor(string proxyNamespace, IReadOnlyDictionary<string, string> labels, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(rootNamespace);
        var candidates = string.Equals(proxyNamespace, rootNamespace, StringComparison.Ordinal)
            ? SidecarsIn(proxyNamespace)
            : SidecarsIn(proxyNamespace).Concat(SidecarsIn(rootNamespace));
        return ProxyVisibility.SelectSidecar(proxyNamespace, labels, candidates, rootNamespace);
    }

    /// <summary>
    /// The EnvoyFilters that patch a proxy of <paramref name="proxyNamespace"/> with
    /// <paramref name="labels"/>, as Istio's <c>EnvoyFilters(proxy)</c> picks them: those of the root
    /// namespace, then those of the proxy's namespace, each without a <c>workloadSelector</c> or with
    /// one the labels satisfy. <c>Selecting</c> names (<c>namespace/name</c>) those chosen by a selector:
    /// they set the proxy apart from the rest of its namespace.
    /// </summary>
    public (List<EnvoyFilterSpec> All, List<string> Selecting) EnvoyFiltersFor(string proxyNamespace, IReadOnlyDictionary<string, string> labels, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(labels);
        var all = new List<EnvoyFilterSpec>();
        var selecting = new List<string>();
        foreach (var filter in EnvoyFilters)
        {
            if (filter.Namespace != rootNamespace && filter.Namespace != proxyNamespace)
            {
                continue;
            }

            if (filter.WorkloadSelector is null)
            {
                all.Add(filter);
            }
            else if (EndpointTranslator.Selects(filter.WorkloadSelector, labels))
            {
                all.Add(filter);
                selecting.Add($"{filter.Namespace}/{filter.Name}");
            }
        }

        return (all, selecting);
    }

    /// <summary>
    /// The EnvoyFilters of a sidecar scope of <paramref name="proxyNamespace"/> named by the
    /// workload-selecting ones <paramref name="selecting"/> (<c>namespace/name</c>): the root
    /// namespace's and the namespace's without a selector, and those named (while they exist and select).
    /// </summary>
    public List<EnvoyFilterSpec> EnvoyFiltersOf(string proxyNamespace, IReadOnlyCollection<string> selecting, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        ArgumentNullException.ThrowIfNull(selecting);
        if (selecting.Count == 1 && selecting.First() is var digest && digest.StartsWith(ScopeNames.FilterDigestMark, StringComparison.Ordinal))
        {
            // A long list named by its digest: the one a pod of the namespace is selected by (none when no pod is).
            selecting = SelectingListWithDigest(proxyNamespace, digest, rootNamespace) ?? [];
        }

        return EnvoyFilters
            .Where(f => (f.Namespace == rootNamespace || f.Namespace == proxyNamespace)
                && (f.WorkloadSelector is null || selecting.Contains($"{f.Namespace}/{f.Name}")))
            .ToList();
    }

    /// <summary>The workload-selecting EnvoyFilters of a pod of <paramref name="proxyNamespace"/> whose list's digest is <paramref name="digest"/>, or null when no pod's is.</summary>
    private List<string>? SelectingListWithDigest(string proxyNamespace, string digest, string rootNamespace)
    {
        foreach (var pod in _podsByNamespace.GetValueOrDefault(proxyNamespace)?.Values ?? Enumerable.Empty<MeshPod>())
        {
            var selecting = EnvoyFiltersFor(proxyNamespace, pod.Labels, rootNamespace).Selecting;
            if (string.Equals(ScopeNames.FilterList(selecting), digest, StringComparison.Ordinal))
            {
                return selecting;
            }
        }

        return null;
    }

    private void IndexPodIp(MeshPod pod)
    {
        if (pod.Ip is not { Length: > 0 } ip)
        {
            return;
        }

        if (!_podsByIp.TryGetValue(ip, out var pods))
        {
            _podsByIp[ip] = pods = new SortedDictionary<string, MeshPod>(StringComparer.Ordinal);
        }

        pods[pod.TargetRef] = pod;
        _changedPodIps.Add(ip);
    }

    private void UnindexPodIp(MeshPod pod)
    {
        if (pod.Ip is not { Length: > 0 } ip)
        {
            return;
        }

        if (_podsByIp.TryGetValue(ip, out var pods) && pods.Remove(pod.TargetRef) && pods.Count == 0)
        {
            _podsByIp.Remove(ip);
        }

        _changedPodIps.Add(ip);
    }

    /// <summary>
    /// The parts of <paramref name="sidecar"/> that are read and validated but not applied yet,
    /// one warning each: what it imports (egress hosts, with the port narrowing which hostnames)
    /// and its outbound traffic policy are applied; the rest still takes the mesh's defaults.
    /// </summary>
    private static List<ConfigWarning> SidecarNotApplied(SidecarSpec sidecar)
    {
        var warnings = new List<ConfigWarning>();
        void Warn(string field, string what) =>
            warnings.Add(new ConfigWarning("Sidecar", sidecar.Namespace, sidecar.Name, field, what + " is read and validated, not applied yet"));
        for (var i = 0; i < sidecar.Ingress.Count; i++)
        {
            var ingress = sidecar.Ingress[i];
            if (ingress.Bind is not null || ingress.CaptureMode is not null)
            {
                Warn($"spec.ingress[{i}].bind", "an ingress bind address or capture mode (the port is served on virtualInbound, as captured traffic)");
            }

            if (ingress.ConnectionPool is not null)
            {
                Warn($"spec.ingress[{i}].connectionPool", "an ingress connection pool");
            }
        }

        if (sidecar.InboundConnectionPool is not null)
        {
            Warn("spec.inboundConnectionPool", "the inbound connection pool");
        }

        for (var i = 0; i < sidecar.Egress.Count; i++)
        {
            var egress = sidecar.Egress[i];
            if (egress.Port is { Number: > 0 })
            {
                Warn($"spec.egress[{i}].port", "an egress listener of its own port (its hosts are imported with that port only, as Istio does, and served on the shared listeners)");
            }

            if (egress.Bind is not null || egress.CaptureMode is not null)
            {
                Warn($"spec.egress[{i}].bind", "an egress bind address or capture mode");
            }
        }

        return warnings;
    }

    private void IndexSidecar(SidecarSpec sidecar)
    {
        if (!_sidecars.TryGetValue(sidecar.Namespace, out var sidecars))
        {
            _sidecars[sidecar.Namespace] = sidecars = new SortedDictionary<string, SidecarSpec>(StringComparer.Ordinal);
        }

        sidecars[sidecar.Name] = sidecar;
        SidecarGeneration++;
    }

    private void UnindexSidecar(SidecarSpec sidecar)
    {
        if (_sidecars.TryGetValue(sidecar.Namespace, out var sidecars) && sidecars.Remove(sidecar.Name) && sidecars.Count == 0)
        {
            _sidecars.Remove(sidecar.Namespace);
        }

        SidecarGeneration++;
    }
}
