namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>
/// Which workload a proxy is, read from its node id and node metadata as istiod reads them: the
/// kind, its IP addresses, the pod it runs beside (<c>&lt;pod&gt;.&lt;namespace&gt;</c>), its
/// namespace, DNS domain, labels and member cluster. What a sidecar or a gateway is served
/// depends on these; a proxyless client's identity is only its kind.
/// </summary>
/// <param name="Kind">The proxy's kind.</param>
/// <param name="IpAddresses">The workload's addresses (node metadata <c>INSTANCE_IPS</c>, else the node id's IP).</param>
/// <param name="WorkloadId">The node id's third part, <c>&lt;pod&gt;.&lt;namespace&gt;</c> in Kubernetes.</param>
/// <param name="Namespace">Node metadata <c>NAMESPACE</c>, else the first label of the DNS domain; empty when neither says.</param>
/// <param name="DnsDomain">The node id's fourth part, such as <c>&lt;namespace&gt;.svc.cluster.local</c>.</param>
/// <param name="Labels">Node metadata <c>LABELS</c>: the workload's labels.</param>
/// <param name="MemberClusterId">Node metadata <c>CLUSTER_ID</c>, or empty.</param>
[GenerateSerializer, Immutable]
public sealed record ProxyIdentity(
    [property: Id(0)] ProxyKind Kind,
    [property: Id(1)] IReadOnlyList<string> IpAddresses,
    [property: Id(2)] string WorkloadId,
    [property: Id(3)] string Namespace,
    [property: Id(4)] string DnsDomain,
    [property: Id(5)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(6)] string MemberClusterId)
{
    /// <summary>A client whose node id is not Istio's: served as a proxyless gRPC client.</summary>
    public static ProxyIdentity Proxyless { get; } = new(ProxyKind.Proxyless, [], string.Empty, string.Empty, string.Empty, new Dictionary<string, string>(), string.Empty);
}
