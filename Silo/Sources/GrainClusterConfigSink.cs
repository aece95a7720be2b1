using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>Hands a source's declarations to the member cluster's <see cref="IClusterGrain"/>.</summary>
public sealed class GrainClusterConfigSink(IGrainFactory grains) : IClusterConfigSink
{
    /// <inheritdoc/>
    public Task ApplyAsync(string clusterId, ClusterConfig config, CancellationToken cancellationToken) =>
        grains.GetGrain<IClusterGrain>(clusterId).ApplyAsync(config).WaitAsync(cancellationToken);
}
