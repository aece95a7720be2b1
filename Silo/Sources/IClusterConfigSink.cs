using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>Where a source hands what changed: the member cluster's ClusterGrain, or a fake in tests.</summary>
public interface IClusterConfigSink
{
    /// <summary>
    /// Applies <paramref name="changes"/> to member cluster <paramref name="clusterId"/>. False
    /// when the receiver needs everything (see <see cref="Grains.Interfaces.IClusterGrain.ApplyChangesAsync"/>).
    /// </summary>
    Task<bool> ApplyAsync(string clusterId, ClusterChanges changes, CancellationToken cancellationToken);
}
