namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A Gateway server's <c>tls</c>, validated as Istio validates it. The passthrough modes
/// (PASSTHROUGH, AUTO_PASSTHROUGH) route by SNI and ignore the certificate fields; the terminating
/// modes (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) terminate TLS with the certificate of a
/// Kubernetes Secret (<see cref="CredentialName"/>, served over SDS as <c>kubernetes://NAME</c>),
/// of files on the gateway, or (ISTIO_MUTUAL) the gateway's mesh workload certificate.
/// </summary>
/// <param name="HttpsRedirect">Whether plain HTTP requests get a 301 to HTTPS.</param>
/// <param name="Mode">PASSTHROUGH (the default), AUTO_PASSTHROUGH, SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL.</param>
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
/// <param name="CaCertCredentialName">The Secret holding the CA that verifies client certificates, when not <c>&lt;credentialName&gt;-cacert</c>; or null.</param>
/// <param name="VerifyCertificateSpki">Base64 SHA-256 hashes of client certificates' public keys accepted, or null.</param>
/// <param name="VerifyCertificateHash">Hex SHA-256 hashes of client certificates accepted, or null.</param>
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
    [property: Id(11)] IReadOnlyList<string> CipherSuites,
    [property: Id(12)] string? CaCertCredentialName = null,
    [property: Id(13)] IReadOnlyList<string>? VerifyCertificateSpki = null,
    [property: Id(14)] IReadOnlyList<string>? VerifyCertificateHash = null)
{
    /// <summary>Whether the mode terminates TLS at the gateway (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL).</summary>
    public bool Terminates => Mode is "SIMPLE" or "MUTUAL" or "OPTIONAL_MUTUAL" or "ISTIO_MUTUAL";
}
