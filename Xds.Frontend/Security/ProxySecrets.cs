using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// One stream's SDS secrets, for its authenticated caller only: <c>default</c> (a workload
/// certificate for the caller's identity and its private key) and <c>ROOTCA</c> (the mesh root).
/// The key is made here, for this stream, and lives only in this object and in the responses
/// written to this stream: never in a shared cache, a log or a grain. The certificate is renewed
/// at half its lifetime (Istio's default grace ratio) and pushed as any change is.
/// </summary>
public sealed partial class ProxySecrets : IDisposable
{
    /// <summary>The workload certificate and key (Istio's name).</summary>
    public const string Default = "default";

    /// <summary>The trust bundle (Istio's name).</summary>
    public const string RootCa = "ROOTCA";

    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(30);

    private readonly XdsCaller _caller;
    private readonly IMeshCertificateClient _ca;
    private readonly MeshTls _tls;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly Action _changed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstIssued = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableDictionary<string, CachedResource> _current;
    private Task? _renewing;
    private int _unseenChange;

    /// <summary>Secrets for <paramref name="caller"/>; <paramref name="changed"/> is called (from any thread) when they change.</summary>
    public ProxySecrets(XdsCaller caller, IMeshCertificateClient ca, MeshTls tls, TimeSpan lifetime, TimeProvider time, Action changed, ILogger logger)
    {
        _caller = caller;
        _ca = ca;
        _tls = tls;
        _lifetime = lifetime;
        _time = time;
        _changed = changed;
        _logger = logger;
        _current = ImmutableDictionary<string, CachedResource>.Empty.WithComparers(StringComparer.Ordinal)
            .Add(RootCa, Resource(RootCa, new Secret { Name = RootCa, ValidationContext = new CertificateValidationContext { TrustedCa = Inline(_tls.RootPem) } }));
    }

    /// <summary>The secrets as they are now, by name.</summary>
    public ImmutableDictionary<string, CachedResource> Current => Volatile.Read(ref _current);

    /// <summary>True once when the secrets changed since the last call (a renewal).</summary>
    public bool TakeChanged() => Interlocked.Exchange(ref _unseenChange, 0) == 1;

    /// <summary>
    /// Starts issuing <c>default</c> if it has not started, and waits until the first certificate is
    /// there or <paramref name="timeout"/> passes (then it arrives later, as a change).
    /// </summary>
    public async Task ReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _renewing ??= RenewLoopAsync();
        if (!_firstIssued.Task.IsCompleted)
        {
            try
            {
                await _firstIssued.Task.WaitAsync(timeout, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Still trying: the certificate goes out as a change once the CA answers.
            }
        }
    }

    private async Task RenewLoopAsync()
    {
        var retry = s_firstRetry;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var (secret, notBefore, notAfter) = await IssueAsync(token);
                ImmutableInterlocked.Update(ref _current, static (current, s) => current.SetItem(Default, s), secret);
                Interlocked.Exchange(ref _unseenChange, 1);
                _firstIssued.TrySetResult();

                // Also for the first: the stream may have stopped waiting for it (a slow CA).
                _changed();

                LogIssued(_logger, _caller.Identity.ToString(), notAfter);
                retry = s_firstRetry;

                // Renew at half the lifetime, jittered by up to a tenth so a fleet does not renew at once.
                var half = (notAfter - notBefore) / 2;
                wait = notBefore + (half * (1 + (Random.Shared.NextDouble() / 10))) - _time.GetUtcNow();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogFailed(_logger, _caller.Identity.ToString(), exception.Message, retry);
                wait = retry;
                retry = retry * 2 < s_maxRetry ? retry * 2 : s_maxRetry;
            }

            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(CachedResource Secret, DateTimeOffset NotBefore, DateTimeOffset NotAfter)> IssueAsync(CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(_caller.Identity.ToString()));
        request.CertificateExtensions.Add(names.Build(critical: true));
        var signed = await _ca.SignAsync(request.CreateSigningRequestPem(), _caller.Identity.ToString(), _lifetime, cancellationToken);
        if (signed.Refused is { } refused)
        {
            throw new InvalidOperationException($"the mesh CA refused: {refused}");
        }

        using var leaf = X509Certificate2.CreateFromPem(signed.Chain[0]);

        // The chain a peer needs to reach the root: the leaf and any intermediates (the root is ROOTCA's).
        var chain = string.Concat(MeshTls.BelowRoot(signed.Chain).Select(pem => pem.TrimEnd() + "\n"));
        var secret = new Secret
        {
            Name = Default,
            TlsCertificate = new TlsCertificate
            {
                CertificateChain = Inline(chain),
                PrivateKey = Inline(key.ExportPkcs8PrivateKeyPem()),
            },
        };
        return (Resource(Default, secret), leaf.NotBefore.ToUniversalTime(), leaf.NotAfter.ToUniversalTime());
    }

    private static Envoy.Config.Core.V3.DataSource Inline(string pem) => new() { InlineBytes = ByteString.CopyFromUtf8(pem) };

    private static CachedResource Resource(string name, Secret secret)
    {
        var payload = secret.ToByteArray();
        return new CachedResource(TypeUrls.Secret, name, ResourceVersion.Of(payload), Any.Pack(secret));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 445, Level = LogLevel.Debug, Message = "Issued the SDS workload certificate of {Identity}, valid until {NotAfter:u}")]
    private static partial void LogIssued(ILogger logger, string identity, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 446, Level = LogLevel.Warning, Message = "Could not issue the SDS workload certificate of {Identity} ({Reason}); trying again in {Retry}")]
    private static partial void LogFailed(ILogger logger, string identity, string reason, TimeSpan retry);
}
