namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One ingress listener of a Sidecar: an inbound port and where its traffic goes.</summary>
/// <param name="Port">The inbound port (number 1-65535).</param>
/// <param name="Bind">The IP address the listener binds to, or null.</param>
/// <param name="DefaultEndpoint">Where the traffic is forwarded: <c>127.0.0.1:PORT</c>, <c>0.0.0.0:PORT</c>, <c>[::1]:PORT</c>, <c>[::]:PORT</c>, <c>:PORT</c> or <c>unix://</c> a socket; null for the workload's own address and port.</param>
/// <param name="CaptureMode">How traffic reaches the listener: <c>DEFAULT</c>, <c>IPTABLES</c> or <c>NONE</c>; null means <c>DEFAULT</c>.</param>
/// <param name="ConnectionPool">The connection pool for this port, over the Sidecar's <c>inboundConnectionPool</c>; or null.</param>
[GenerateSerializer, Immutable]
public sealed record SidecarIngressSpec(
    [property: Id(0)] SidecarPortSpec Port,
    [property: Id(1)] string? Bind,
    [property: Id(2)] string? DefaultEndpoint,
    [property: Id(3)] string? CaptureMode,
    [property: Id(4)] ConnectionPoolSpec? ConnectionPool);
