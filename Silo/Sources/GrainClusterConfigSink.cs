using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>Hands a source's changes to the member cluster's <see cref="IClusterGrain"/>.</summary>
public sealed class GrainClusterConfigSink(IGrainFactory grains) : IClusterConfigSink
{
    /// <inheritdoc/>
    public Task<bool> ApplyAsync(string clusterId, ClusterChanges changes, CancellationToken cancellationToken) =>
        grains.GetGrain<IClusterGrain>(clusterId).ApplyChangesAsync(changes).WaitAsync(cancellationToken);
}
