using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// The gateway credentials (Kubernetes Secrets named by a Gateway server's <c>credentialName</c>)
/// this frontend's streams serve over SDS, as Istio's <c>SecretGen</c> serves them: resource
/// <c>kubernetes://NAME</c> is the Secret's certificate and key, <c>kubernetes://NAME-cacert</c>
/// its CA certificates (from a Secret named <c>NAME-cacert</c>, else from <c>NAME</c>'s
/// <c>ca.crt</c>). Each credential a stream holds is asked of its member cluster's grain once
/// per frontend, and again every <see cref="MeshSecurityOptions.CredentialRefreshInterval"/>;
/// a change goes to every stream holding it. Only the streams' own dictionaries and the
/// responses they write hold the key: nothing is logged or cached beyond the subscriptions.
/// </summary>
public sealed partial class GatewayCredentials : BackgroundService
{
    /// <summary>The prefix of an SDS resource name that names a Kubernetes Secret.</summary>
    public const string KubernetesPrefix = "kubernetes://";

    private readonly IMeshCertificateClient _clusters;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<GatewayCredentials> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<CredentialKey, Entry> _entries = [];

    /// <summary>A frontend's credentials, asked of the member clusters through <paramref name="clusters"/>.</summary>
    public GatewayCredentials(IMeshCertificateClient clusters, IOptions<MeshSecurityOptions> options, TimeProvider time, ILogger<GatewayCredentials> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clusters = clusters;
        _interval = options.Value.CredentialRefreshInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many credentials are held (for tests and debug pages).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Reads an SDS resource name of a credential: <c>kubernetes://NAME</c> (in
    /// <paramref name="proxyNamespace"/>) or <c>kubernetes://NAMESPACE/NAME</c>. Null, with the
    /// reason, when it is not one or not a valid Kubernetes name.
    /// </summary>
    public static (CredentialName? Name, string? Problem) Parse(string resourceName, string proxyNamespace)
    {
        ArgumentNullException.ThrowIfNull(resourceName);
        if (!resourceName.StartsWith(KubernetesPrefix, StringComparison.Ordinal))
        {
            return (null, "is not a kubernetes:// credential");
        }

        var rest = resourceName[KubernetesPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var ns = slash < 0 ? proxyNamespace : rest[..slash];
        var name = slash < 0 ? rest : rest[(slash + 1)..];
        if (!SpiffeId.IsDnsSubdomain(name) || !SpiffeId.IsDnsLabel(ns))
        {
            return (null, "does not name a Secret as kubernetes://NAME or kubernetes://NAMESPACE/NAME");
        }

        return (new CredentialName(resourceName, ns, name, name.EndsWith(MeshSecret.CaSuffix, StringComparison.Ordinal)), null);
    }

    /// <summary>
    /// Starts holding <paramref name="name"/> of member cluster <paramref name="clusterId"/> for a
    /// stream: <paramref name="changed"/> is called (from any thread) with the resource, or null
    /// when the Secret is gone or holds no such credential, whenever it changes after the first
    /// answer, which <see cref="Subscription.FirstAnswer"/> completes with.
    /// </summary>
    public Subscription Subscribe(string clusterId, CredentialName name, Action<CachedResource?> changed)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = new CredentialKey(clusterId, name.ResourceName, name.Namespace, name.Name, name.CaOnly);
        Entry entry;
        Subscription subscription;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry(key);
            }

            subscription = new Subscription(this, entry, changed);
            entry.Subscribers.Add(subscription);
            entry.Loading ??= RefreshAsync(entry, CancellationToken.None);
        }

        subscription.FirstAnswer = AnswerAsync(entry);
        return subscription;
    }

    /// <summary>The Envoy secret of <paramref name="secret"/> for <paramref name="key"/>, or null when it holds no such part.</summary>
    internal static CachedResource? ToResource(string resourceName, bool caOnly, MeshSecret? secret)
    {
        Secret? envoy = null;
        if (caOnly && secret?.CaCertificates is { } ca)
        {
            var context = new CertificateValidationContext { TrustedCa = ProxySecrets.Inline(ca) };
            if (secret.Crl is { } crl)
            {
                context.Crl = ProxySecrets.Inline(crl);
            }

            envoy = new Secret { Name = resourceName, ValidationContext = context };
        }
        else if (!caOnly && secret is { HasKeyPair: true })
        {
            envoy = new Secret
            {
                Name = resourceName,
                TlsCertificate = new TlsCertificate { CertificateChain = ProxySecrets.Inline(secret.CertificateChain!), PrivateKey = ProxySecrets.Inline(secret.PrivateKey!) },
            };
        }

        return envoy is null ? null : ProxySecrets.Resource(resourceName, envoy);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await RefreshAllAsync(stoppingToken);
        }
    }

    /// <summary>Asks the member clusters again for every credential held, and pushes what changed.</summary>
    internal async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        List<Entry> held;
        lock (_gate)
        {
            held = [.. _entries.Values];
        }

        // One credential at a time: a frontend holds few (its gateways' servers), and the
        // refresh must not crowd the grains' other calls.
        foreach (var entry in held)
        {
            await RefreshAsync(entry, cancellationToken);
        }
    }

    private async Task<CachedResource?> AnswerAsync(Entry entry)
    {
        Task loading;
        lock (_gate)
        {
            loading = entry.Loading!;
        }

        await loading;
        return entry.Current;
    }

    private async Task RefreshAsync(Entry entry, CancellationToken cancellationToken)
    {
        CachedResource? next;
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            var lookup = await _clusters.GetSecretAsync(entry.Key.ClusterId, entry.Key.Namespace, entry.Key.Name, bounded.Token);
            if (entry.Key.CaOnly && lookup.Secret is null && lookup.Loaded)
            {
                // Istio's GetCaCert: no NAME-cacert Secret, so NAME's own ca.crt.
                lookup = await _clusters.GetSecretAsync(entry.Key.ClusterId, entry.Key.Namespace, entry.Key.Name[..^MeshSecret.CaSuffix.Length], bounded.Token);
            }

            if (!lookup.Loaded)
            {
                // The member cluster's grain has not heard from its source since it activated: keep what is held.
                return;
            }

            next = ToResource(entry.Key.ResourceName, entry.Key.CaOnly, lookup.Secret);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception)
        {
            LogRefreshFailed(_logger, entry.Key.ResourceName, entry.Key.Namespace, entry.Key.ClusterId, exception.GetType().Name);
            return;
        }

        List<Subscription> told;
        lock (_gate)
        {
            if (entry.Answered && entry.Current?.Version == next?.Version)
            {
                return;
            }

            // Every holder is told, also of the first answer: a stream that stopped waiting for it gets it now.
            entry.Current = next;
            entry.Answered = true;
            told = [.. entry.Subscribers];
        }

        LogChanged(_logger, entry.Key.ResourceName, entry.Key.Namespace, entry.Key.ClusterId, next is not null);
        foreach (var subscription in told)
        {
            subscription.Changed(next);
        }
    }

    private void Release(Subscription subscription)
    {
        lock (_gate)
        {
            var entry = subscription.Entry;
            entry.Subscribers.Remove(subscription);
            if (entry.Subscribers.Count == 0)
            {
                _entries.Remove(entry.Key);
            }
        }
    }

    [LoggerMessage(EventId = 451, Level = LogLevel.Warning, Message = "Could not read gateway credential {ResourceName} of namespace {Namespace} from member cluster {ClusterId} ({Reason}); keeping what is held")]
    private static partial void LogRefreshFailed(ILogger logger, string resourceName, string @namespace, string clusterId, string reason);

    [LoggerMessage(EventId = 452, Level = LogLevel.Information, Message = "Gateway credential {ResourceName} of namespace {Namespace} in member cluster {ClusterId} changed (present: {Present}); pushing it to the gateways holding it")]
    private static partial void LogChanged(ILogger logger, string resourceName, string @namespace, string clusterId, bool present);

    /// <summary>A credential as an SDS resource name names it.</summary>
    /// <param name="ResourceName">The SDS resource name.</param>
    /// <param name="Namespace">The Secret's namespace.</param>
    /// <param name="Name">The Secret's name (with <c>-cacert</c> for a CA part).</param>
    /// <param name="CaOnly">Whether it names the CA part (<c>NAME-cacert</c>).</param>
    public sealed record CredentialName(string ResourceName, string Namespace, string Name, bool CaOnly);

    internal sealed record CredentialKey(string ClusterId, string ResourceName, string Namespace, string Name, bool CaOnly);

    internal sealed class Entry(CredentialKey key)
    {
        public CredentialKey Key { get; } = key;

        public List<Subscription> Subscribers { get; } = [];

        public Task? Loading { get; set; }

        public CachedResource? Current { get; set; }

        public bool Answered { get; set; }
    }

    /// <summary>One stream's hold on a credential; disposing it lets go.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly GatewayCredentials _owner;
        private readonly Action<CachedResource?> _changed;
        private int _disposed;

        internal Subscription(GatewayCredentials owner, Entry entry, Action<CachedResource?> changed)
        {
            _owner = owner;
            Entry = entry;
            _changed = changed;
        }

        /// <summary>The first answer: the resource, or null when there is none (yet).</summary>
        public Task<CachedResource?> FirstAnswer { get; internal set; } = Task.FromResult<CachedResource?>(null);

        internal Entry Entry { get; }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(this);
            }
        }

        internal void Changed(CachedResource? resource)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _changed(resource);
            }
        }
    }
}
