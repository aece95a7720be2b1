using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// One member cluster (keyed by its cluster id): the registry its source declared, and
/// what was rejected. It turns a whole-cluster declaration into per-hostname inputs and
/// touches only the ServiceGrains whose input changed.
/// </summary>
public interface IClusterGrain : IGrainWithStringKey
{
    /// <summary>Replaces the cluster's declaration with <paramref name="config"/> and pushes what changed.</summary>
    Task ApplyAsync(ClusterConfig config);

    /// <summary>The objects the source rejected in its last declaration, with reasons.</summary>
    Task<IReadOnlyList<RejectedObject>> GetRejectedAsync();

    /// <summary>
    /// The valid objects of the last declaration that refer to what the cluster does not have
    /// (a VirtualService for an unknown host or destination, an EndpointSlice without its Service).
    /// </summary>
    Task<IReadOnlyList<ConfigWarning>> GetWarningsAsync();

    /// <summary>The hostnames this cluster currently contributes to.</summary>
    Task<IReadOnlyList<string>> GetHostnamesAsync();
}
