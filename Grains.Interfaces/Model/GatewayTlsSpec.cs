namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A Gateway server's <c>tls</c>. Only the modes that need no certificate of the mesh's own are
/// accepted for now (PASSTHROUGH, AUTO_PASSTHROUGH); the certificate fields are kept as written
/// for when terminating modes are supported (Istio ignores them in passthrough modes).
/// </summary>
/// <param name="HttpsRedirect">Whether plain HTTP requests get a 301 to HTTPS.</param>
/// <param name="Mode">PASSTHROUGH (the default) or AUTO_PASSTHROUGH.</param>
/// <param name="CredentialName">The Kubernetes secret holding the certificate, or null.</param>
/// <param name="CredentialNames">Up to two such secrets (RSA and ECDSA), or empty.</param>
/// <param name="ServerCertificate">The path of the server certificate file, or null.</param>
/// <param name="PrivateKey">The path of the private key file, or null.</param>
/// <param name="CaCertificates">The path of the CA bundle that verifies client certificates, or null.</param>
/// <param name="CaCrl">The path of the certificate revocation list, or null.</param>
/// <param name="SubjectAltNames">Client certificate subject alternative names accepted, or empty.</param>
/// <param name="MinProtocolVersion">TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2 or TLSV1_3, or null.</param>
/// <param name="MaxProtocolVersion">Likewise, or null.</param>
/// <param name="CipherSuites">Cipher suites asked for, or empty.</param>
[GenerateSerializer, Immutable]
public sealed record GatewayTlsSpec(
    [property: Id(0)] bool HttpsRedirect,
    [property: Id(1)] string Mode,
    [property: Id(2)] string? CredentialName,
    [property: Id(3)] IReadOnlyList<string> CredentialNames,
    [property: Id(4)] string? ServerCertificate,
    [property: Id(5)] string? PrivateKey,
    [property: Id(6)] string? CaCertificates,
    [property: Id(7)] string? CaCrl,
    [property: Id(8)] IReadOnlyList<string> SubjectAltNames,
    [property: Id(9)] string? MinProtocolVersion,
    [property: Id(10)] string? MaxProtocolVersion,
    [property: Id(11)] IReadOnlyList<string> CipherSuites);
