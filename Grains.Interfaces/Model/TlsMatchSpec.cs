namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>TLSMatchAttributes</c>: all of its conditions must hold.</summary>
/// <param name="SniHosts">The SNI names it applies to (at least one; each within the VirtualService's hosts).</param>
/// <param name="DestinationSubnets">The destination addresses (IP or CIDR) it applies to; empty means any.</param>
/// <param name="Port">The service port it applies to, or null for any.</param>
/// <param name="SourceLabels">Only proxies with these labels apply it; null means any.</param>
/// <param name="Gateways">The gateways it applies to, overriding the VirtualService's; null or empty means the VirtualService's.</param>
/// <param name="SourceNamespace">Only proxies in this namespace apply it; null means any.</param>
[GenerateSerializer, Immutable]
public sealed record TlsMatchSpec(
    [property: Id(0)] IReadOnlyList<string> SniHosts,
    [property: Id(1)] IReadOnlyList<string> DestinationSubnets,
    [property: Id(2)] int? Port,
    [property: Id(3)] IReadOnlyDictionary<string, string>? SourceLabels,
    [property: Id(4)] IReadOnlyList<string>? Gateways,
    [property: Id(5)] string? SourceNamespace);
