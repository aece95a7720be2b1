namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// An Istio <c>Sidecar</c>, validated as Istio validates it: what the sidecars it applies to may
/// reach (egress listeners and their hosts), what they accept (ingress listeners), and what they
/// do with traffic to a destination the mesh does not know.
/// </summary>
/// <param name="Namespace">The Sidecar's namespace: it applies to the workloads of this namespace (in the root namespace without a selector, to every namespace that has none of its own).</param>
/// <param name="Name">The Sidecar's name.</param>
/// <param name="WorkloadSelector">
/// <c>workloadSelector.labels</c>: the workloads of its namespace it applies to; null when it has no
/// selector (it applies to the whole namespace). An empty selector is kept as empty: Istio applies it
/// to every workload of the namespace, ahead of a Sidecar without a selector.
/// </param>
/// <param name="Egress">The egress listeners, in order; empty means Istio's default, one listener importing <c>*/*</c>.</param>
/// <param name="Ingress">The ingress listeners, in order; empty means the inbound side is built from the workload's services.</param>
/// <param name="OutboundTrafficPolicy"><c>outboundTrafficPolicy.mode</c> (<c>ALLOW_ANY</c> or <c>REGISTRY_ONLY</c>), or null for the mesh's setting.</param>
/// <param name="InboundConnectionPool"><c>inboundConnectionPool</c>: the connection pool for every inbound port without its own, or null.</param>
/// <param name="CreationTimestamp">
/// <c>metadata.creationTimestamp</c>, or null when not given (it then counts as oldest, as Istio's
/// zero time does). Of several Sidecars that could apply, the oldest wins.
/// </param>
[GenerateSerializer, Immutable]
public sealed record SidecarSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string>? WorkloadSelector,
    [property: Id(3)] IReadOnlyList<SidecarEgressSpec> Egress,
    [property: Id(4)] IReadOnlyList<SidecarIngressSpec> Ingress,
    [property: Id(5)] string? OutboundTrafficPolicy,
    [property: Id(6)] ConnectionPoolSpec? InboundConnectionPool,
    [property: Id(7)] DateTimeOffset? CreationTimestamp = null);
