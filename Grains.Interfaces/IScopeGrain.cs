using Mesh.Orleans.Grains.Interfaces.Xds;

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

    /// <summary>How many hostnames the scope holds resources of (for <c>/debug/scopez</c>).</summary>
    Task<int> GetHostnameCountAsync();
}
