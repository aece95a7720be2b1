using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// What the frontend asks of the mesh CA: workload certificates and its own TLS server
/// certificate, each answered with its chain up to the root. Only CSRs and certificates cross it;
/// the keys of those stay in the frontend process. It also reads gateway credentials (Secrets,
/// with their keys) from the member clusters, for SDS.
/// </summary>
public interface IMeshCertificateClient
{
    /// <summary>Signs a workload CSR for an authenticated identity (a SPIFFE URI); null lifetime: the CA's default.</summary>
    Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime, CancellationToken cancellationToken);

    /// <summary>Signs this process's TLS server certificate.</summary>
    Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>The Secret <paramref name="name"/> of <paramref name="ns"/> in member cluster <paramref name="clusterId"/> (<see cref="IClusterGrain.GetSecretAsync"/>).</summary>
    Task<SecretLookup> GetSecretAsync(string clusterId, string ns, string name, CancellationToken cancellationToken);
}

/// <summary>The CA as a grain (<see cref="ICertificateAuthorityGrain"/>).</summary>
public sealed class OrleansMeshCertificateClient(IGrainFactory grains) : IMeshCertificateClient
{
    private ICertificateAuthorityGrain Grain => grains.GetGrain<ICertificateAuthorityGrain>(ICertificateAuthorityGrain.Key);

    /// <inheritdoc/>
    public Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime, CancellationToken cancellationToken) =>
        Grain.SignAsync(csrPem, identity, lifetime).WaitAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime, CancellationToken cancellationToken) =>
        Grain.SignServerAsync(csrPem, dnsNames, addresses, lifetime).WaitAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<SecretLookup> GetSecretAsync(string clusterId, string ns, string name, CancellationToken cancellationToken) =>
        grains.GetGrain<IClusterGrain>(clusterId).GetSecretAsync(ns, name).WaitAsync(cancellationToken);
}
