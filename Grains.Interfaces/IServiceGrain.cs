using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// One mesh hostname: its ports and endpoints merged across member clusters, the routing
/// bound to it, and the Envoy resources derived from them, each serialised once and
/// versioned by the hash of its bytes.
/// </summary>
public interface IServiceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets what <paramref name="clusterId"/> contributes (null: nothing any more) and
    /// returns the hostname's resources after the change.
    /// </summary>
    Task<ServiceResources> UpdateClusterInputAsync(string clusterId, ServiceInput? input);

    /// <summary>The hostname's current resources.</summary>
    Task<ServiceResources> GetResourcesAsync();
}
