namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What a workload (the endpoint at one IP of a member cluster) serves, as the Services that
/// select it say: the ports it listens on, with their protocols. Equal inputs give equal resources.
/// </summary>
/// <param name="Ports">The workload's ports, by port number, each once.</param>
/// <param name="SidecarScope">
/// The sidecar scope (<see cref="ScopeNames.SidecarScope"/>) a sidecar at this address belongs
/// in, from its pod's namespace and labels and the Sidecar resources; null when no pod is known
/// at the address (the proxy then stays in the scope of the namespace its node names).
/// </param>
/// <param name="EnvoyFilters">The EnvoyFilters that select a sidecar at this address (for its inbound side); null: none.</param>
/// <param name="AuthorizationPolicies">The AuthorizationPolicies that apply to the workload, in the order Istio lists them; null: none.</param>
/// <param name="PassthroughMtls">The inbound chains of traffic to a port no Service or Sidecar names (the workload-wide mode; see <see cref="WorkloadPort.Mtls"/>).</param>
[GenerateSerializer, Immutable]
public sealed record WorkloadInputs(
    [property: Id(0)] IReadOnlyList<WorkloadPort> Ports,
    [property: Id(1)] string? SidecarScope = null,
    [property: Id(2)] IReadOnlyList<EnvoyFilterSpec>? EnvoyFilters = null,
    [property: Id(3)] MtlsMode PassthroughMtls = MtlsMode.Disable,
    [property: Id(4)] IReadOnlyList<AuthorizationPolicySpec>? AuthorizationPolicies = null)
{
    /// <summary>A workload no Service selects.</summary>
    public static WorkloadInputs None { get; } = new(new List<WorkloadPort>());

    /// <summary>True when both list the same ports with the same protocols and name the same sidecar scope.</summary>
    public bool SameAs(WorkloadInputs? other) =>
        other is not null && Ports.SequenceEqual(other.Ports) && string.Equals(SidecarScope, other.SidecarScope, StringComparison.Ordinal) && PassthroughMtls == other.PassthroughMtls
        && (AuthorizationPolicies ?? []).SequenceEqual(other.AuthorizationPolicies ?? [])
        && (EnvoyFilters ?? []).SequenceEqual(other.EnvoyFilters ?? []);
}

/// <summary>
/// One port a workload's sidecar takes traffic on: an EndpointSlice port (the Service's target
/// port), or an ingress listener of the Sidecar that applies to the workload.
/// </summary>
/// <param name="Port">The port number on the workload.</param>
/// <param name="Protocol">The protocol, inferred as Istio infers it (<see cref="MeshProtocols"/>).</param>
/// <param name="Endpoint">
/// Where a Sidecar ingress listener forwards the traffic (its <c>defaultEndpoint</c>:
/// <c>127.0.0.1:PORT</c>, <c>[::1]:PORT</c>, <c>0.0.0.0:PORT</c>, <c>[::]:PORT</c>, <c>:PORT</c> or
/// <c>unix://</c> a socket); null: the port on the workload's loopback.
/// </param>
/// <param name="Mtls">
/// The inbound chains its sidecar serves: plaintext (<see cref="MtlsMode.Disable"/>, the default),
/// mutual TLS and plaintext (<see cref="MtlsMode.Permissive"/>), or mutual TLS only
/// (<see cref="MtlsMode.Strict"/>), from the PeerAuthentications that apply (<c>ClusterGrain</c>).
/// </param>
[GenerateSerializer, Immutable]
public sealed record WorkloadPort(
    [property: Id(0)] int Port,
    [property: Id(1)] MeshProtocol Protocol,
    [property: Id(2)] string? Endpoint = null,
    [property: Id(3)] MtlsMode Mtls = MtlsMode.Disable);
