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
/// <remarks>
/// A gateway also gets the credentials its servers name (<c>kubernetes://NAME</c>, and
/// <c>kubernetes://NAME-cacert</c>), through <see cref="GatewayCredentials"/>, as Istio's
/// <c>SecretGen</c> authorizes them: only Secrets of the caller's own namespace; a certificate
/// and key only to a gateway (<c>router</c>) node, a CA part to any node of the namespace.
/// </remarks>
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
    private readonly GatewayCredentials? _credentials;
    private readonly bool _isGateway;
    private readonly string _clusterId;
    private readonly Dictionary<string, GatewayCredentials.Subscription> _held = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, CachedResource> _current;
    private Task? _renewing;
    private int _unseenChange;

    /// <summary>
    /// Secrets for <paramref name="caller"/>; <paramref name="changed"/> is called (from any thread)
    /// when they change. With <paramref name="credentials"/>, the stream may also hold gateway
    /// credentials of member cluster <paramref name="clusterId"/> (keys only when <paramref name="isGateway"/>).
    /// </summary>
    public ProxySecrets(XdsCaller caller, IMeshCertificateClient ca, MeshTls tls, TimeSpan lifetime, TimeProvider time, Action changed, ILogger logger,
        GatewayCredentials? credentials = null, bool isGateway = false, string clusterId = "")
    {
        _credentials = credentials;
        _isGateway = isGateway;
        _clusterId = clusterId;
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

    /// <summary>At most this many gateway credentials are held per stream; names beyond it are not served.</summary>
    public const int MaxCredentials = 64;

    /// <summary>
    /// Starts holding the gateway credentials among <paramref name="names"/> (the names a request
    /// asks for) that the caller may have, and waits until each has its first answer or
    /// <paramref name="timeout"/> passes. Names refused are logged once and never served.
    /// </summary>
    public async Task HoldAsync(IEnumerable<string> names, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (_credentials is null)
        {
            return;
        }

        var waiting = new List<(string Name, Task<CachedResource?> Answer)>();
        foreach (var name in names)
        {
            if (!name.StartsWith(GatewayCredentials.KubernetesPrefix, StringComparison.Ordinal) || _held.ContainsKey(name) || _refused.Contains(name))
            {
                continue;
            }

            var (parsed, problem) = GatewayCredentials.Parse(name, _caller.Identity.Namespace);
            if (parsed is not null && parsed.Namespace != _caller.Identity.Namespace)
            {
                problem = $"it is a Secret of namespace {parsed.Namespace}, and the caller is {_caller.Identity}";
            }
            else if (parsed is { CaOnly: false } && !_isGateway)
            {
                problem = "a credential's certificate and key are served to gateways (router nodes) only";
            }
            else if (parsed is not null && _held.Count >= MaxCredentials)
            {
                problem = $"the stream holds {MaxCredentials} credentials already";
            }

            if (problem is not null)
            {
                _refused.Add(name);
                LogCredentialRefused(_logger, Shorten(name), _caller.Identity.ToString(), problem);
                continue;
            }

            var subscription = _credentials.Subscribe(_clusterId, parsed!, resource => SetCredential(name, resource));
            _held[name] = subscription;
            waiting.Add((name, subscription.FirstAnswer));
        }

        if (waiting.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(waiting.Select(w => w.Answer)).WaitAsync(timeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Those not answered yet go out as a change once they are.
        }

        foreach (var (name, answer) in waiting.Where(w => w.Answer.IsCompletedSuccessfully))
        {
            SetCredential(name, answer.Result, signal: false);
        }
    }

    private void SetCredential(string name, CachedResource? resource, bool signal = true)
    {
        var before = Current.GetValueOrDefault(name);
        if (before?.Version == resource?.Version)
        {
            return;
        }

        ImmutableInterlocked.Update(ref _current, static (current, change) => change.Resource is null ? current.Remove(change.Name) : current.SetItem(change.Name, change.Resource), (Name: name, Resource: resource));
        if (signal)
        {
            Interlocked.Exchange(ref _unseenChange, 1);
            _changed();
        }
    }

    private static string Shorten(string name) => name.Length <= 300 ? name : name[..300] + "...";

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

    /// <summary>PEM text as an inline data source.</summary>
    internal static Envoy.Config.Core.V3.DataSource Inline(string pem) => new() { InlineBytes = ByteString.CopyFromUtf8(pem) };

    /// <summary>A secret as a resource of its stream, versioned by its bytes.</summary>
    internal static CachedResource Resource(string name, Secret secret)
    {
        var payload = secret.ToByteArray();
        return new CachedResource(TypeUrls.Secret, name, ResourceVersion.Of(payload), Any.Pack(secret));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var subscription in _held.Values)
        {
            subscription.Dispose();
        }

        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 445, Level = LogLevel.Debug, Message = "Issued the SDS workload certificate of {Identity}, valid until {NotAfter:u}")]
    private static partial void LogIssued(ILogger logger, string identity, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 453, Level = LogLevel.Warning, Message = "Not serving SDS resource {ResourceName} to {Identity}: {Reason}")]
    private static partial void LogCredentialRefused(ILogger logger, string resourceName, string identity, string reason);

    [LoggerMessage(EventId = 446, Level = LogLevel.Warning, Message = "Could not issue the SDS workload certificate of {Identity} ({Reason}); trying again in {Retry}")]
    private static partial void LogFailed(ILogger logger, string identity, string reason, TimeSpan retry);
}
