namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Istio's <c>ListenerMatch</c>, its filter chain, filter and sub-filter matches flattened; an empty
/// or zero field matches anything.
/// </summary>
/// <param name="PortNumber">The listener's port (for <c>virtualInbound</c>, the filter chain's destination port).</param>
/// <param name="Name">The listener's name.</param>
/// <param name="FilterChainName">The filter chain's name.</param>
/// <param name="Sni">A server name the filter chain matches.</param>
/// <param name="TransportProtocol">The filter chain's transport protocol (<c>raw_buffer</c>, <c>tls</c>).</param>
/// <param name="ApplicationProtocols">Comma-separated application protocols the filter chain must all match.</param>
/// <param name="DestinationPort">The filter chain's destination port.</param>
/// <param name="FilterName">The network filter's name; when set, list operations on network and HTTP filters are placed relative to it.</param>
/// <param name="SubFilterName">The HTTP filter's name (only with <paramref name="FilterName"/> the HTTP connection manager).</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterListenerMatch(
    [property: Id(0)] int PortNumber,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? FilterChainName,
    [property: Id(3)] string? Sni,
    [property: Id(4)] string? TransportProtocol,
    [property: Id(5)] string? ApplicationProtocols,
    [property: Id(6)] int DestinationPort,
    [property: Id(7)] string? FilterName,
    [property: Id(8)] string? SubFilterName);
