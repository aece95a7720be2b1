using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>Where a source hands what it read: the member cluster's ClusterGrain, or a fake in tests.</summary>
public interface IClusterConfigSink
{
    /// <summary>Applies <paramref name="config"/> as the whole declaration of member cluster <paramref name="clusterId"/>.</summary>
    Task ApplyAsync(string clusterId, ClusterConfig config, CancellationToken cancellationToken);
}
