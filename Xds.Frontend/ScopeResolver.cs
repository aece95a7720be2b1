using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Which scope a proxy is served from, decided once its node is known (go-control-plane's
/// <c>NodeHash</c> plays this part): proxyless clients share the default scope, with their
/// workload's scope over it when their node id names one (an xDS-enabled gRPC server's
/// listeners come from it); a non-Istio node id gets the default scope alone; a sidecar gets
/// the sidecar scope of its member cluster and namespace (what Sidecar resources and exportTo
/// let it see) with its own workload's scope over it (its inbound side), keyed
/// by its member cluster (node metadata <c>CLUSTER_ID</c>, else Istio's default) and first IP; a
/// gateway gets the scope of its namespace's gateways (node metadata <c>NAMESPACE</c>; the
/// whole mesh's without one): its clusters and endpoints, with the scope of its labels (node
/// metadata <c>LABELS</c>) in its member cluster over it: its listeners and routes.
/// </summary>
public static class ScopeResolver
{
    /// <summary>The namespace of a sidecar whose node names none (Kubernetes' default).</summary>
    public const string DefaultNamespace = "default";

    /// <summary>The scope of a proxy of <paramref name="identity"/>.</summary>
    public static ScopeKey Resolve(ProxyIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var memberCluster = identity.MemberClusterId.Length > 0 ? identity.MemberClusterId : MeshNames.DefaultClusterId;
        if (identity.Kind == ProxyKind.Router)
        {
            // A gateway's listeners and routes depend on its labels (which Gateways select it) and its
            // namespace (which of that namespace's EnvoyFilters patch it); its clusters on its namespace
            // (what is exported to it, and the DestinationRules looked up for it), else the whole mesh's.
            var gatewayNamespace = identity.Namespace.Length > 0 ? identity.Namespace : null;
            return new ScopeKey(
                gatewayNamespace is null ? ScopeNames.Router : ScopeNames.RouterScope(memberCluster, gatewayNamespace),
                ScopeNames.Gateway(memberCluster, identity.Labels, gatewayNamespace));
        }

        if (identity.IpAddresses.Count == 0)
        {
            return ScopeKey.Default;
        }

        // A sidecar or Istio proxyless client starts in the scope of its namespace; its workload's
        // scope says when a workload-selecting Sidecar puts it in another (the stream then moves there).
        var ns = identity.Namespace.Length > 0 ? identity.Namespace : DefaultNamespace;
        var shared = identity.Kind == ProxyKind.Sidecar
            ? ScopeNames.SidecarScope(memberCluster, ns)
            : ScopeNames.ProxylessScope(memberCluster, ns);
        return new ScopeKey(shared, ScopeNames.Workload(identity.Kind, memberCluster, identity.IpAddresses[0]));
    }
}
