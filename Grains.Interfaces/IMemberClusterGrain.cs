using Mesh.Orleans.Grains.Interfaces.MemberClusters;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The watcher of one member cluster's Kubernetes API (keyed by member cluster id). Orleans
/// keeps one activation per key in the whole cluster, so exactly one process watches each
/// member cluster; every silo asks it to run (see the keeper), so when its silo dies the next
/// request activates it on another one.
/// </summary>
public interface IMemberClusterGrain : IGrainWithStringKey
{
    /// <summary>Starts watching as <paramref name="spec"/> says, unless already doing so; a changed spec restarts the watch.</summary>
    Task EnsureWatchingAsync(MemberClusterSpec spec);

    /// <summary>Where the watch stands.</summary>
    Task<MemberClusterStatus?> GetStatusAsync();
}
