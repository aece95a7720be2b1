using System.Security.Cryptography.X509Certificates;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Grains.Security;

/// <summary>
/// The mesh CA's grain (<see cref="ICertificateAuthorityGrain"/>). On activation it loads the
/// plug-in CA files when configured; otherwise the CA it stored, or a new self-signed root, which
/// it stores before it signs anything, so that no two silos ever sign with different roots. The
/// stored key is in grain storage as PEM: in a deployment on Redis, whoever can read Redis can
/// read it (as Istio's <c>istio-ca-secret</c> is readable by whoever can read that Secret).
/// </summary>
public sealed partial class CertificateAuthorityGrain(
    [PersistentState("ca", GrainStorage.Mesh)] IPersistentState<CertificateAuthorityState> state,
    IOptions<MeshSecurityOptions> options,
    TimeProvider time,
    ILogger<CertificateAuthorityGrain> logger) : Grain, ICertificateAuthorityGrain
{
    private MeshCertificateAuthority? _authority;

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.CaCertFile is { } certFile && settings.CaKeyFile is { } keyFile)
        {
            var chainPem = settings.CaChainFile is { } chainFile ? await File.ReadAllTextAsync(chainFile, cancellationToken) : null;
            _authority = MeshCertificateAuthority.FromPem(await File.ReadAllTextAsync(certFile, cancellationToken), await File.ReadAllTextAsync(keyFile, cancellationToken), chainPem, settings.TrustDomain, time);
            LogLoaded(logger, "the plug-in CA files", _authority.Signer.Subject, _authority.Root.Thumbprint);
        }
        else if (state.State.SignerPem is { } signerPem && state.State.KeyPem is { } keyPem && state.State.TrustDomain == settings.TrustDomain)
        {
            _authority = MeshCertificateAuthority.FromPem(signerPem, keyPem, state.State.ChainPem, settings.TrustDomain, time);
            LogLoaded(logger, "grain storage", _authority.Signer.Subject, _authority.Root.Thumbprint);
        }
        else
        {
            _authority = MeshCertificateAuthority.CreateSelfSigned(settings.TrustDomain, time);
            LogLoaded(logger, "a new self-signed root", _authority.Signer.Subject, _authority.Root.Thumbprint);
        }

        var signer = _authority.Signer.ExportCertificatePem();
        if (state.State.SignerPem != signer)
        {
            // Stored before any use: a write that fails fails the activation, so no other
            // activation can make a second root meanwhile.
            state.State.SignerPem = signer;
            state.State.KeyPem = ExportKey(_authority);
            state.State.ChainPem = _authority.Chain.Count > 0 ? string.Concat(_authority.Chain.Select(c => c.ExportCertificatePem())) : null;
            state.State.TrustDomain = settings.TrustDomain;
            await state.WriteOrTakeOverAsync();
        }

        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public Task<string> GetRootCertificateAsync() => Task.FromResult(Authority.Root.ExportCertificatePem());

    /// <inheritdoc/>
    public Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime)
    {
        if (!SpiffeId.TryParse(identity, out var caller, out var problem))
        {
            return Task.FromResult(new SignedCertificate([], $"the caller's identity is not a SPIFFE identity: {problem}"));
        }

        try
        {
            using var certificate = Authority.Sign(csrPem, caller, lifetime ?? options.Value.WorkloadCertLifetime);
            LogSigned(logger, identity, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
            return Task.FromResult(new SignedCertificate(Authority.ChainPem(certificate), null));
        }
        catch (CertificateRequestRefusedException refused)
        {
            LogRefused(logger, identity, refused.Message);
            return Task.FromResult(new SignedCertificate([], refused.Message));
        }
    }

    /// <inheritdoc/>
    public Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var parsed = new List<System.Net.IPAddress>(addresses.Count);
        foreach (var address in addresses)
        {
            if (!System.Net.IPAddress.TryParse(address, out var ip))
            {
                return Task.FromResult(new SignedCertificate([], $"'{address}' is not an IP address"));
            }

            parsed.Add(ip);
        }

        var names = string.Join(", ", dnsNames.Concat(addresses));
        try
        {
            using var certificate = Authority.SignServer(csrPem, dnsNames, parsed, lifetime);
            LogSigned(logger, names, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
            return Task.FromResult(new SignedCertificate(Authority.ChainPem(certificate), null));
        }
        catch (Exception refused) when (refused is CertificateRequestRefusedException or ArgumentException)
        {
            LogRefused(logger, names, refused.Message);
            return Task.FromResult(new SignedCertificate([], refused.Message));
        }
    }

    /// <inheritdoc/>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _authority?.Dispose();
        _authority = null;
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private MeshCertificateAuthority Authority => _authority ?? throw new InvalidOperationException("the CA is not loaded");

    private static string ExportKey(MeshCertificateAuthority authority)
    {
        using var ec = authority.Signer.GetECDsaPrivateKey();
        if (ec is not null)
        {
            return ec.ExportPkcs8PrivateKeyPem();
        }

        using var rsa = authority.Signer.GetRSAPrivateKey() ?? throw new InvalidOperationException("the CA's key is neither EC nor RSA");
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Mesh CA loaded from {Source}: signer {Subject}, root {RootThumbprint}")]
    private static partial void LogLoaded(ILogger logger, string source, string subject, string rootThumbprint);

    [LoggerMessage(EventId = 231, Level = LogLevel.Debug, Message = "Signed a certificate for {Identity}: serial {Serial}, valid until {NotAfter:u}")]
    private static partial void LogSigned(ILogger logger, string identity, string serial, DateTime notAfter);

    [LoggerMessage(EventId = 232, Level = LogLevel.Warning, Message = "Refused a certificate for {Identity}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string identity, string reason);
}

/// <summary>The stored state of <see cref="CertificateAuthorityGrain"/>: the signer, its key and chain (PEM), and the trust domain.</summary>
[GenerateSerializer]
public sealed class CertificateAuthorityState
{
    /// <summary>The signing certificate.</summary>
    [Id(0)]
    public string? SignerPem { get; set; }

    /// <summary>Its private key (PKCS#8).</summary>
    [Id(1)]
    public string? KeyPem { get; set; }

    /// <summary>The chain above it, when it is an intermediate.</summary>
    [Id(2)]
    public string? ChainPem { get; set; }

    /// <summary>The trust domain it was made for: a different one configured makes a new root.</summary>
    [Id(3)]
    public string? TrustDomain { get; set; }
}
