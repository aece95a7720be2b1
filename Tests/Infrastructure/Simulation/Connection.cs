namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// What a listener knows of a connection when it picks a filter chain: the (possibly restored)
/// destination, and what its listener filters detected (SNI, transport protocol, ALPN).
/// </summary>
/// <param name="DestinationAddress">The local address the connection is matched on.</param>
/// <param name="DestinationPort">The local port the connection is matched on.</param>
/// <param name="ServerName">The SNI the TLS inspector read, if any.</param>
/// <param name="TransportProtocol"><c>tls</c> when the TLS inspector saw a ClientHello, else <c>raw_buffer</c>.</param>
/// <param name="ApplicationProtocols">The ALPN values the inspectors detected, in preference order.</param>
/// <param name="SourceAddress">The client's address.</param>
/// <param name="SourcePort">The client's port.</param>
internal sealed record Connection(
    string DestinationAddress,
    int DestinationPort,
    string? ServerName,
    string TransportProtocol,
    IReadOnlyList<string> ApplicationProtocols,
    string SourceAddress,
    int SourcePort);
