using Mesh.Orleans.Grains.Interfaces.Xds;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>A frontend's subscription to a scope's changes.</summary>
public interface IScopeObserver : IGrainObserver
{
    /// <summary>Called once per change batch; one-way, so a slow or dead frontend never holds the scope up.</summary>
    [OneWay]
    Task OnUpdateAsync(ScopeUpdate update);
}
