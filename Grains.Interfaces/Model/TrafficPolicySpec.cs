namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A DestinationRule traffic policy (for a host, a subset, or, in <see cref="PortLevelSettings"/>, one port).</summary>
/// <param name="Port">The port a port-level policy applies to; null for the policy of every port.</param>
/// <param name="LoadBalancer">How endpoints are picked.</param>
/// <param name="ConnectionPool">Connection and request limits (Envoy circuit breakers and timeouts).</param>
/// <param name="OutlierDetection">When endpoints are ejected for failing.</param>
/// <param name="TlsMode">The <c>tls.mode</c> asked for, or null (the mode of <paramref name="Tls"/>).</param>
/// <param name="PortLevelSettings">Per-port overrides, each with its <see cref="Port"/>.</param>
/// <param name="Tls">The <c>tls</c> settings, or null.</param>
[GenerateSerializer, Immutable]
public sealed record TrafficPolicySpec(
    [property: Id(0)] int? Port,
    [property: Id(1)] LoadBalancerSpec? LoadBalancer,
    [property: Id(2)] ConnectionPoolSpec? ConnectionPool,
    [property: Id(3)] OutlierDetectionSpec? OutlierDetection,
    [property: Id(4)] string? TlsMode,
    [property: Id(5)] IReadOnlyList<TrafficPolicySpec> PortLevelSettings,
    [property: Id(6)] ClientTlsSpec? Tls = null);
