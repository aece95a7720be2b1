using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// A grain whose resources frontends mirror: a scope shared by many proxies
/// (<see cref="IScopeGrain"/>) or one workload's own part (<see cref="IWorkloadGrain"/>).
/// </summary>
public interface IScopeSource : IGrainWithStringKey
{
    /// <summary>All resources at the current epoch.</summary>
    Task<ScopeSnapshot> GetSnapshotAsync();

    /// <summary>
    /// Subscribes (or renews) a frontend; subscriptions expire unless renewed. Returns the
    /// current generation and epoch so the caller can tell whether its copy is current.
    /// </summary>
    Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources);

    /// <summary>Ends a frontend's subscription.</summary>
    Task UnsubscribeAsync(IScopeObserver observer);
}
