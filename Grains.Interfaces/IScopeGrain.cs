using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The resources every proxy of one scope sees (keyed by the scope's name). Proxies that
/// see the same mesh share one scope, so listeners, routes and clusters are held once
/// and fanned out to frontends as bytes, never rebuilt per proxy.
/// </summary>
public interface IScopeGrain : IGrainWithStringKey
{
    /// <summary>Applies one batch of per-hostname changes atomically and notifies subscribed frontends once.</summary>
    Task ApplyAsync(IReadOnlyList<ServiceResources> services);

    /// <summary>All resources of the scope at its current epoch.</summary>
    Task<ScopeSnapshot> GetSnapshotAsync();

    /// <summary>
    /// Subscribes (or renews) a frontend; subscriptions expire unless renewed. Returns the
    /// current generation and epoch so the caller can tell whether its copy is current.
    /// </summary>
    Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources);

    /// <summary>Ends a frontend's subscription.</summary>
    Task UnsubscribeAsync(IScopeObserver observer);
}
