namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>L4MatchAttributes</c>: all of its conditions must hold.</summary>
/// <param name="DestinationSubnets">The destination addresses (IP or CIDR) it applies to; empty means any.</param>
/// <param name="Port">The service port it applies to, or null for any.</param>
/// <param name="SourceLabels">Only proxies with these labels apply it; null means any.</param>
/// <param name="Gateways">The gateways it applies to, overriding the VirtualService's; null or empty means the VirtualService's.</param>
/// <param name="SourceNamespace">Only proxies in this namespace apply it; null means any.</param>
/// <param name="SourceSubnet">The source address (IP or CIDR) it applies to, or null.</param>
[GenerateSerializer, Immutable]
public sealed record L4MatchSpec(
    [property: Id(0)] IReadOnlyList<string> DestinationSubnets,
    [property: Id(1)] int? Port,
    [property: Id(2)] IReadOnlyDictionary<string, string>? SourceLabels,
    [property: Id(3)] IReadOnlyList<string>? Gateways,
    [property: Id(4)] string? SourceNamespace,
    [property: Id(5)] string? SourceSubnet = null);
