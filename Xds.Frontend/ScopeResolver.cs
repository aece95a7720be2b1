using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Which scope a proxy is served from, decided once its node is known (go-control-plane's
/// <c>NodeHash</c> plays this part): proxyless clients share the default scope, with their
/// workload's scope over it when their node id names one (an xDS-enabled gRPC server's
/// listeners come from it); a non-Istio node id gets the default scope alone; a sidecar gets
/// the sidecars' shared scope with its own workload's scope over it (its inbound side), keyed
/// by its member cluster (node metadata <c>CLUSTER_ID</c>, else Istio's default) and first IP; a
/// gateway likewise over the gateways' shared scope.
/// </summary>
public static class ScopeResolver
{
    /// <summary>The scope of a proxy of <paramref name="identity"/>.</summary>
    public static ScopeKey Resolve(ProxyIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.IpAddresses.Count == 0)
        {
            return ScopeKey.Default;
        }

        var memberCluster = identity.MemberClusterId.Length > 0 ? identity.MemberClusterId : MeshNames.DefaultClusterId;
        var shared = identity.Kind switch
        {
            ProxyKind.Sidecar => ScopeNames.Sidecar,
            ProxyKind.Router => ScopeNames.Router,
            _ => ScopeNames.Default,
        };
        return new ScopeKey(shared, ScopeNames.Workload(identity.Kind, memberCluster, identity.IpAddresses[0]));
    }
}
