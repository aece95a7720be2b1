namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One egress listener of a Sidecar: the outbound port it opens (or none) and the hosts it imports.</summary>
/// <param name="Port">The listener's port, or null for the catch-all listener (at most one, and last).</param>
/// <param name="Bind">The IP address or <c>unix://</c> socket the listener binds to, or null.</param>
/// <param name="CaptureMode">How traffic reaches the listener: <c>DEFAULT</c>, <c>IPTABLES</c> or <c>NONE</c>; null means <c>DEFAULT</c>.</param>
/// <param name="Hosts">
/// The hosts imported, as written: <c>namespace/dnsName</c> with a namespace of <c>*</c> (any),
/// <c>.</c> (the proxy's own), or a name, optionally prefixed with <c>~</c> to exclude instead of
/// import; and a DNS name that is <c>*</c>, a <c>*.</c> wildcard or a name, in lower case.
/// </param>
[GenerateSerializer, Immutable]
public sealed record SidecarEgressSpec(
    [property: Id(0)] SidecarPortSpec? Port,
    [property: Id(1)] string? Bind,
    [property: Id(2)] string? CaptureMode,
    [property: Id(3)] IReadOnlyList<string> Hosts);
