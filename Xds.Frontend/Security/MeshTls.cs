using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Orleans.Grains.Interfaces.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// The TLS xDS port's credentials: the mesh root (which client certificates must chain to) and
/// this process's server certificate, signed by the mesh CA for <see cref="MeshSecurityOptions.XdsServerNames"/>
/// and 127.0.0.1. The key is made here and never leaves the process. Fetched at start, before
/// Kestrel listens; renewed at half its lifetime, retried every 5 s while the CA does not answer.
/// </summary>
public sealed partial class MeshTls(
    IMeshCertificateClient ca,
    IOptions<MeshSecurityOptions> options,
    TimeProvider time,
    ILogger<MeshTls> logger) : BackgroundService
{
    /// <summary>How long the server certificate lasts.</summary>
    public static readonly TimeSpan ServerCertLifetime = TimeSpan.FromHours(24);

    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(5);

    private volatile Credentials? _current;

    /// <summary>The mesh root, once fetched.</summary>
    public X509Certificate2 Root => Current.Root;

    /// <summary>The mesh root as PEM (what <c>ROOTCA</c> carries).</summary>
    public string RootPem => Current.RootPem;

    /// <summary>The server certificate with the CA chain above it (a plug-in intermediate's), as a TLS handshake sends it.</summary>
    public System.Net.Security.SslStreamCertificateContext ServerContext => Current.ServerContext;

    private Credentials Current => _current ?? throw new InvalidOperationException("the TLS credentials are not loaded yet");

    /// <summary>The trust domain identities must be in.</summary>
    public string TrustDomain => options.Value.TrustDomain;

    /// <summary>Fetches the root and the first server certificate before the host goes on (so Kestrel never listens without them).</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await ReloadAsync(cancellationToken);
                break;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFailed(logger, exception.Message);
                await Task.Delay(s_retry, time, cancellationToken);
            }
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>Renews the server certificate at half its lifetime.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var current = _current!;
            var half = (current.Server.NotAfter.ToUniversalTime() - current.Server.NotBefore.ToUniversalTime()) / 2;
            var renewAt = current.Server.NotBefore.ToUniversalTime() + half;
            var wait = renewAt - time.GetUtcNow().UtcDateTime;
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                await ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogFailed(logger, exception.Message);
                await Task.Delay(s_retry, time, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// The identity a client certificate proves: it must chain to the mesh root (checked with
    /// .NET's chain building, at the current time, for client authentication) and name exactly
    /// one SPIFFE identity of this trust domain. Else null and the reason.
    /// </summary>
    public (SpiffeId? Identity, string? Problem) Authenticate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var current = _current;
        if (current is null)
        {
            return (null, "the mesh root is not loaded yet");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.CustomTrustStore.Add(current.Root);
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        chain.ChainPolicy.ExtraStore.AddRange(current.Intermediates.ToArray());

        if (!chain.Build(certificate))
        {
            var reasons = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return (null, $"the client certificate does not verify against the mesh root: {(reasons.Length > 0 ? reasons : "no chain")}");
        }

        SubjectAltNames names;
        try
        {
            names = SubjectAltNames.Read(certificate.Extensions.Cast<X509Extension>());
        }
        catch (System.Formats.Asn1.AsnContentException exception)
        {
            return (null, $"the client certificate's subjectAltName does not parse: {exception.Message}");
        }

        var identities = names.Uris.Where(u => u.StartsWith(SpiffeId.Scheme, StringComparison.Ordinal)).ToList();
        if (identities.Count != 1)
        {
            return (null, $"the client certificate names {identities.Count} SPIFFE identities, not one");
        }

        if (!SpiffeId.TryParse(identities[0], out var id, out var problem))
        {
            return (null, $"the client certificate's identity {identities[0]} is not a workload identity: {problem}");
        }

        return id.TrustDomain == current.TrustDomain
            ? (id, null)
            : (null, $"the client certificate's trust domain {id.TrustDomain} is not the mesh's ({current.TrustDomain})");
    }

    /// <summary>
    /// The chain the CA answers without its last certificate, the root (it ends at the self-signed
    /// root, as Istio's CA answers): the leaf and any intermediates.
    /// </summary>
    public static IReadOnlyList<string> BelowRoot(IReadOnlyList<string> chainPem)
    {
        ArgumentNullException.ThrowIfNull(chainPem);
        return chainPem.Take(chainPem.Count - 1).ToList();
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var loaded = await LoadAsync(cancellationToken);
        _current = loaded;
        LogLoaded(logger, loaded.Server.NotAfter.ToUniversalTime(), loaded.Root.Thumbprint);
    }

    private async Task<Credentials> LoadAsync(CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var names = options.Value.XdsServerNames;
        var signed = await ca.SignServerAsync(request.CreateSigningRequestPem(), names, [IPAddress.Loopback.ToString()], ServerCertLifetime, cancellationToken);
        if (signed.Refused is { } refused)
        {
            throw new InvalidOperationException($"the mesh CA refused this frontend's server certificate: {refused}");
        }

        var rootPem = signed.Chain[^1];
        var root = X509Certificate2.CreateFromPem(rootPem);
        using var leaf = X509Certificate2.CreateFromPem(signed.Chain[0]);
        var server = leaf.CopyWithPrivateKey(key);

        // The certificates between the leaf and the root: the signer, when it is not the root itself.
        var intermediates = BelowRoot(signed.Chain).Skip(1).Select(pem => X509Certificate2.CreateFromPem(pem)).ToList();
        var context = System.Net.Security.SslStreamCertificateContext.Create(server, new X509Certificate2Collection(intermediates.ToArray()), offline: true);
        return new Credentials(root, rootPem, server, intermediates, context, options.Value.TrustDomain);
    }

    private sealed record Credentials(X509Certificate2 Root, string RootPem, X509Certificate2 Server, IReadOnlyList<X509Certificate2> Intermediates, System.Net.Security.SslStreamCertificateContext ServerContext, string TrustDomain);

    [LoggerMessage(EventId = 441, Level = LogLevel.Information, Message = "TLS xDS credentials loaded: server certificate valid until {NotAfter:u}, mesh root {RootThumbprint}")]
    private static partial void LogLoaded(ILogger logger, DateTime notAfter, string rootThumbprint);

    [LoggerMessage(EventId = 442, Level = LogLevel.Warning, Message = "Could not get the TLS xDS credentials from the mesh CA ({Reason}); trying again in 5 s")]
    private static partial void LogFailed(ILogger logger, string reason);
}
