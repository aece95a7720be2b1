namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>What a call speaks on its connection.</summary>
public enum CallProtocol
{
    /// <summary>Plaintext HTTP/1.1 (the HTTP inspector reports ALPN <c>http/1.1</c>).</summary>
    Http1,

    /// <summary>Plaintext HTTP/2 with prior knowledge (the HTTP inspector reports ALPN <c>h2c</c>).</summary>
    Http2,

    /// <summary>Opaque TCP bytes.</summary>
    Tcp,

    /// <summary>TLS the proxy does not terminate: a ClientHello with SNI and ALPN the TLS inspector can read.</summary>
    Tls,
}
