namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The mesh's certificate authority (one grain, key <see cref="Key"/>): it holds the signing
/// certificate and its key in grain storage (Redis when scaled out), so every silo signs with the
/// same root. Created at first activation (self-signed) or loaded from the plug-in CA files
/// (<c>Mesh:Security:CaCertFile</c> and <c>CaKeyFile</c>), which win over what is stored.
/// </summary>
public interface ICertificateAuthorityGrain : IGrainWithStringKey
{
    /// <summary>The one key.</summary>
    public const string Key = "mesh";

    /// <summary>The root certificate proxies trust (PEM; Istio's <c>ROOTCA</c>).</summary>
    Task<string> GetRootCertificateAsync();

    /// <summary>
    /// Signs <paramref name="csrPem"/> for the caller <paramref name="identity"/> (a SPIFFE URI the
    /// caller was authenticated as) for <paramref name="lifetime"/>, or the configured default when
    /// null: the chain (certificate first, PEM each), or the reason it was refused.
    /// </summary>
    Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime);

    /// <summary>
    /// Signs <paramref name="csrPem"/> as a control-plane process's TLS server certificate (the TLS
    /// xDS port's), naming <paramref name="dnsNames"/> and <paramref name="addresses"/> (IP
    /// literals), for <paramref name="lifetime"/>. Called by frontends only: the CA service never
    /// reaches it.
    /// </summary>
    Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime);
}

/// <summary>What <see cref="ICertificateAuthorityGrain.SignAsync"/> answers: the chain, or why not (never key material).</summary>
[GenerateSerializer]
[Immutable]
public sealed record SignedCertificate(
    [property: Id(0)] IReadOnlyList<string> Chain,
    [property: Id(1)] string? Refused);
