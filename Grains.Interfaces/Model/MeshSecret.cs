using System.Text;

namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A Kubernetes <c>v1 Secret</c> that holds a TLS credential, as Istio's credentials controller
/// reads one (<c>pilot/pkg/credentials/kube/secrets.go</c>): a certificate chain and its private
/// key (keys <c>cert</c>/<c>key</c>, else <c>tls.crt</c>/<c>tls.key</c>), and/or the CA
/// certificates that verify peers (<c>cacert</c>, else <c>ca.crt</c>) with an optional revocation
/// list (<c>crl</c>, else <c>ca.crl</c>); PEM text each, already checked to parse, the key to match
/// the certificate. Gateways name it as a server's <c>credentialName</c> and get it over SDS.
/// </summary>
/// <remarks>
/// It carries a private key: <see cref="ToString"/> never prints it, and nothing may log the
/// record's members. It lives in the member cluster's state beside the mesh CA's own key (grain
/// storage), and leaves the silos only as an SDS answer to a gateway of its namespace.
/// </remarks>
/// <param name="Namespace">The Secret's namespace.</param>
/// <param name="Name">The Secret's name.</param>
/// <param name="CertificateChain">The certificate chain (leaf first, PEM), or null when the Secret holds only CA certificates.</param>
/// <param name="PrivateKey">The chain's private key (PEM), or null with it.</param>
/// <param name="CaCertificates">The CA certificates (PEM), or null.</param>
/// <param name="Crl">The certificate revocation list (PEM), or null.</param>
[GenerateSerializer, Immutable]
public sealed record MeshSecret(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] string? CertificateChain,
    [property: Id(3)] string? PrivateKey,
    [property: Id(4)] string? CaCertificates,
    [property: Id(5)] string? Crl)
{
    /// <summary>The suffix Istio gives the name of a credential's CA part (<c>NAME-cacert</c>).</summary>
    public const string CaSuffix = "-cacert";

    /// <summary>Whether it holds a certificate and its key.</summary>
    public bool HasKeyPair => CertificateChain is not null && PrivateKey is not null;

    /// <summary>Its namespace, name and which parts it holds; never the key.</summary>
    public override string ToString() =>
        $"Secret {Namespace}/{Name} ({(HasKeyPair ? "certificate and key" : "no key pair")}{(CaCertificates is null ? string.Empty : ", CA certificates")}{(Crl is null ? string.Empty : ", CRL")})";

    /// <summary>Prints the same as <see cref="ToString"/>: a record's generated member list would print the key.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Namespace = ").Append(Namespace).Append(", Name = ").Append(Name);
        return true;
    }
}
