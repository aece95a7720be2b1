using Mesh.Orleans.Grains.Interfaces.Model;

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
