using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The resources every proxy of one scope sees (keyed by the scope's name, see
/// <see cref="ScopeNames"/>). Proxies that see the same mesh share one scope, so listeners,
/// routes and clusters are held once and fanned out to frontends as bytes, never rebuilt per proxy.
/// </summary>
public interface IScopeGrain : IScopeSource
{
    /// <summary>Applies one batch of per-hostname changes atomically and notifies subscribed frontends once.</summary>
    Task ApplyAsync(IReadOnlyList<ServiceResources> services);

    /// <summary>
    /// The page of the scope's snapshot at <paramref name="epoch"/> of <paramref name="generation"/>
    /// that starts at resource <paramref name="start"/>, at most about
    /// <see cref="ScopeSnapshotPageBytes"/> of payload; null when the scope is no longer at that
    /// epoch and has no copy of it (the caller subscribes again and starts over).
    /// </summary>
    Task<ScopeSnapshotPage?> GetSnapshotPageAsync(Guid generation, long epoch, int start);

    /// <summary>The payload bytes a snapshot page holds at most (unless one resource is larger).</summary>
    public const int ScopeSnapshotPageBytes = 8 * 1024 * 1024;

    /// <summary>How many hostnames the scope holds resources of (for <c>/debug/scopez</c>).</summary>
    Task<int> GetHostnameCountAsync();

    /// <summary>
    /// Every hostname's resources the scope holds, and whether it has heard from its member
    /// clusters yet: what a scope of part of the mesh (<see cref="ScopeNames.SidecarScope"/>)
    /// starts from, taken from the sidecars' whole-mesh scope.
    /// </summary>
    Task<ScopeServices> GetServicesAsync();

    /// <summary>
    /// Tells a sidecar scope (<see cref="ScopeNames.SidecarScope"/>) which Sidecar resource now
    /// decides what its proxies see (its member cluster's <see cref="IClusterGrain"/> calls it).
    /// </summary>
    [OneWay]
    Task SetSidecarAsync(SidecarChoice choice);
}
