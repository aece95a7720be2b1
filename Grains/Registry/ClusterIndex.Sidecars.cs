using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Scoping;

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

    private static ConfigWarning SidecarNotApplied(SidecarSpec sidecar) =>
        new("Sidecar", sidecar.Namespace, sidecar.Name, "spec",
            "read and validated, not applied yet: every sidecar still sees the whole mesh (scoping issue in progress)");

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
