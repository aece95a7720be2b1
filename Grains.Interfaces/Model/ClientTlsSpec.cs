namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A DestinationRule's <c>tls</c> (Istio's <c>ClientTLSSettings</c>): how a client proxy opens
/// TLS to the destination's endpoints.
/// </summary>
/// <param name="Mode"><c>DISABLE</c>, <c>SIMPLE</c>, <c>MUTUAL</c> or <c>ISTIO_MUTUAL</c>.</param>
/// <param name="Sni">The SNI to send; null: none (ISTIO_MUTUAL: Istio's <c>outbound_.PORT_.SUBSET_.HOST</c>).</param>
/// <param name="SubjectAltNames">The names the server certificate must carry (any of them); empty: any.</param>
/// <param name="CaCertificates">SIMPLE/MUTUAL: a file of CA certificates the proxy checks the server against; null: its system roots.</param>
/// <param name="ClientCertificate">MUTUAL: the proxy's certificate file.</param>
/// <param name="PrivateKey">MUTUAL: the proxy's key file.</param>
/// <param name="CaCrl">SIMPLE/MUTUAL: a certificate revocation list file.</param>
/// <param name="InsecureSkipVerify">SIMPLE/MUTUAL: do not check the server certificate.</param>
[GenerateSerializer, Immutable]
public sealed record ClientTlsSpec(
    [property: Id(0)] string Mode,
    [property: Id(1)] string? Sni,
    [property: Id(2)] IReadOnlyList<string> SubjectAltNames,
    [property: Id(3)] string? CaCertificates,
    [property: Id(4)] string? ClientCertificate,
    [property: Id(5)] string? PrivateKey,
    [property: Id(6)] string? CaCrl,
    [property: Id(7)] bool InsecureSkipVerify)
{
    /// <summary>Equal when every field is (the names by sequence).</summary>
    public bool Equals(ClientTlsSpec? other) =>
        other is not null && Mode == other.Mode && Sni == other.Sni && SubjectAltNames.SequenceEqual(other.SubjectAltNames)
        && CaCertificates == other.CaCertificates && ClientCertificate == other.ClientCertificate && PrivateKey == other.PrivateKey
        && CaCrl == other.CaCrl && InsecureSkipVerify == other.InsecureSkipVerify;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Mode, Sni, SubjectAltNames.Count, CaCertificates, ClientCertificate, PrivateKey);
}
