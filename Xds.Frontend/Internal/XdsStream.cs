using Envoy.Config.Core.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// What every xDS stream shares, whatever its variant (SotW or Delta, aggregated or per type):
/// the node handshake, one loop that handles requests and cache changes in turn (so there is
/// one writer and per-type state needs no lock), and clean-up however it ends.
/// </summary>
internal abstract partial class XdsStream<TRequest, TResponse>
    where TRequest : class
    where TResponse : IMessage
{
    private readonly IAsyncStreamReader<TRequest> _requests;
    private readonly IServerStreamWriter<TResponse> _responses;
    private readonly IMeshStateClient _mesh;
    private readonly StreamRegistry _registry;
    private readonly ScopeCaches _caches;
    private ScopeLease? _lease;
    private ScopeKey? _scope;
    private ScopeKey? _moveTo;
    private (CachedResource Resource, string Scope)? _assignmentSeen;
    private IDisposable? _cacheListener;
    private StreamRegistry.OpenStream? _entry;
    private readonly List<ProxyEvent> _events = [];
    private readonly List<TResponse> _outgoing = [];
    private readonly StreamStats _stats = new();
    private long? _wokeAt;
    private long? _pushedChangeAt;
    private readonly CancellationToken _draining;
    private readonly CancellationToken _shuttingDown;
    private readonly CancellationTokenSource _aged;
    private readonly CancellationTokenSource _ending;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationTokenRegistration _drainRegistration;
    private ResourceCache.CacheView? _seen;
    private TaskCompletionSource _cacheChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nonce;
    private readonly StreamSecurity? _security;
    private ProxySecrets? _secrets;
    private bool _secretsRefusedLogged;

    protected XdsStream(StreamContext<TRequest, TResponse> context)
    {
        _requests = context.Requests;
        _responses = context.Responses;
        Call = context.Call;
        Cache = context.Shared.Cache;
        _mesh = context.Shared.Mesh;
        _registry = context.Shared.Registry;
        _caches = context.Shared.Caches;
        Options = context.Shared.Options;
        Time = context.Shared.Time;
        Logger = context.Shared.Logger;
        Throttle = context.Shared.PushThrottle;
        FixedTypeUrl = context.FixedTypeUrl;
        _security = context.Shared.Security;

        // The stream ends when the process drains (at a random moment of the drain spread, so a
        // frontend's proxies do not all reconnect at once; a stream opened while draining at once)
        // or when it reaches its age limit (jittered).
        _shuttingDown = context.Shared.Draining;
        var maxAge = Options.MaxStreamAge;
        _aged = maxAge > TimeSpan.Zero && maxAge != Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource(maxAge * (1 + (Options.MaxStreamAgeJitter * ((Random.Shared.NextDouble() * 2) - 1))), Time)
            : new CancellationTokenSource();
        _ending = new CancellationTokenSource();
        var spread = _shuttingDown.IsCancellationRequested ? TimeSpan.Zero : Options.DrainSpread * Random.Shared.NextDouble();
        _drainRegistration = _shuttingDown.Register(static state =>
        {
            var (ending, delay) = ((CancellationTokenSource, TimeSpan))state!;
            try
            {
                if (delay <= TimeSpan.Zero)
                {
                    ending.Cancel();
                }
                else
                {
                    ending.CancelAfter(delay);
                }
            }
            catch (ObjectDisposedException)
            {
                // The stream ended meanwhile.
            }
        }, (_ending, spread));
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_ending.Token, _aged.Token);
        _draining = _linked.Token;
    }

    protected ServerCallContext Call { get; }

    /// <summary>The cache of the stream's scope: the default scope's until the node is known, then its own.</summary>
    protected ResourceCache Cache { get; private set; }

    protected XdsFrontendOptions Options { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>Limits how many streams of this process push a cache change at once.</summary>
    protected SemaphoreSlim Throttle { get; }

    /// <summary>The type of a per-type service (CDS, EDS, ...), or null on an aggregated stream.</summary>
    protected string? FixedTypeUrl { get; }

    protected string NodeId { get; private set; } = string.Empty;

    /// <summary>
    /// Where the proxy is (region and zone of its first request's <c>node.locality</c>), or null
    /// when it does not say; ClusterLoadAssignments go to it in that locality's priorities.
    /// </summary>
    protected Locality? ProxyLocality { get; private set; }

    protected string StreamId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The protocol name shown by debug endpoints.</summary>
    protected abstract string Protocol { get; }

    protected abstract Node? NodeOf(TRequest request);

    /// <summary>The type URL a request names (empty when it names none).</summary>
    protected abstract string TypeUrlOf(TRequest request);

    /// <summary>The resource names a request asks for (SotW: its names; Delta: those it subscribes to).</summary>
    protected abstract IEnumerable<string> RequestedNamesOf(TRequest request);

    /// <summary>Handles one request; responses it produces go through <see cref="Send"/>.</summary>
    protected abstract void HandleRequest(TRequest request);

    /// <summary>Works out what changed in the cache since the stream last looked, and sends it through <see cref="Send"/>.</summary>
    protected abstract void PushChanges();

    public async Task RunAsync()
    {
        try
        {
            await RunStreamAsync();
        }
        finally
        {
            _lease?.Dispose();
            _secrets?.Dispose();
            _drainRegistration.Dispose();
            _linked.Dispose();
            _ending.Dispose();
            _aged.Dispose();
        }
    }

    private async Task RunStreamAsync()
    {
        var cancellation = Call.CancellationToken;
        try
        {
            var firstRead = _requests.MoveNext(cancellation);
            await WhileNotDrainingAsync(firstRead);
            if (!await firstRead)
            {
                return;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw ToRpcException(exception);
        }

        TRequest? first = _requests.Current;
        var node = NodeOf(first);
        if (node is null || string.IsNullOrEmpty(node.Id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request on a stream must carry node.id"));
        }

        if (node.Id.Length > Options.MaxNameLength)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"node.id is longer than {Options.MaxNameLength} characters"));
        }

        if (IsDebugRequest(first))
        {
            // istioctl: answered without a scope, a cache or a registry entry (XdsStream.Debug.cs).
            NodeId = node.Id;
            await RunDebugAsync(first, cancellation);
            return;
        }

        var (identity, refused) = ProxyIdentities.Parse(node.Id, node.Metadata);
        if (identity is null)
        {
            // As istiod refuses it: a sidecar or gateway that cannot say which workload it is.
            throw new RpcException(new Status(StatusCode.InvalidArgument, refused!));
        }

        if (_security is not null && CallerAuthenticator.IsSecure(Call))
        {
            var caller = await AuthorizeAsync(node, identity, cancellation);
            _secrets = new ProxySecrets(caller, _security.Ca, _security.Tls, _security.WorkloadCertLifetime, Time, SignalCacheChanged, Logger,
                _security.Credentials, identity.Kind == ProxyKind.Router, identity.MemberClusterId.Length > 0 ? identity.MemberClusterId : MeshNames.DefaultClusterId);
        }

        NodeId = node.Id;
        _scope = ScopeResolver.Resolve(identity);
        _lease = _caches.Acquire(_scope);
        Cache = _lease.Cache;
        ProxyLocality = LocalityPriorities.IsKnown(node.Locality) ? new Locality { Region = node.Locality.Region, Zone = node.Locality.Zone } : null;
        await WaitForCacheAsync(cancellation);
        if (AssignedScope() is { } assigned)
        {
            // A workload-selecting Sidecar applies: start there, before anything is sent.
            await MoveAsync(assigned, cancellation);
        }

        var proxyNode = new ProxyNode(node.Id, node.Cluster, $"{node.UserAgentName} {node.UserAgentVersion}".Trim(), FormatLocality(node.Locality), identity);
        _entry = new StreamRegistry.OpenStream(StreamId, NodeId, Protocol, Time.GetUtcNow(), Call.Peer, _stats, Cache.Scope)
        {
            Mover = MoveTo,
            Kind = identity.Kind,
            ProxyVersion = ProxyVersionOf(node),
            SentResources = RequestSentAsync,
            ClusterId = identity.MemberClusterId,
            Namespace = identity.Namespace,
            IstioVersion = MetadataText(node, "ISTIO_VERSION"),
        };
        _registry.Add(_entry);
        _mesh.ReportConnected(StreamId, proxyNode);
        LogStreamOpened(Logger, Protocol, NodeId, StreamId, Call.Peer);
        _cacheListener = Cache.Listen(SignalCacheChanged);
        try
        {
            await BeforeRequestAsync(first, cancellation);
            HandleRequest(first);

            // Holding the first request (its node and names) for the stream's lifetime would cost every idle stream its size.
            first = null;
            node = null;
            await FlushResponsesAsync(cancellation);
            FlushEvents();

            // One loop, one writer: the next request and the next cache change are awaited
            // together. A request is read only once the previous one is handled, so a flooding
            // client is held back by HTTP/2 flow control; an idle stream holds only the pending
            // read and one signal.
            // Draining wakes the loop through the same signal as a cache change (registered once).
            using var drainingRegistration = _draining.Register(SignalCacheChanged);
            var read = _requests.MoveNext(cancellation);
            while (true)
            {
                var changed = Volatile.Read(ref _cacheChanged).Task;
                if (!read.IsCompleted && !changed.IsCompleted && !_draining.IsCancellationRequested)
                {
                    await Task.WhenAny(read, changed);
                }

                if (_draining.IsCancellationRequested)
                {
                    throw Ending();
                }

                if (changed.IsCompleted)
                {
                    // Re-arm before looking at the cache, so a change that lands meanwhile is not missed.
                    Volatile.Write(ref _cacheChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    AnswerSentRequest();
                    if ((Interlocked.Exchange(ref _moveTo, null) ?? AssignedScope()) is { } target)
                    {
                        await MoveAsync(target, cancellation);
                    }

                    // The throttle bounds the CPU work of working out responses; the writes
                    // happen outside it, so a client that stops reading holds up only itself.
                    _wokeAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    _pushedChangeAt = Cache.Current.ChangedAt;
                    await Throttle.WaitAsync(cancellation);
                    try
                    {
                        PushChanges();
                    }
                    finally
                    {
                        Throttle.Release();
                    }
                }
                else
                {
                    bool more;
                    try
                    {
                        more = await read;
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException || !cancellation.IsCancellationRequested)
                    {
                        // A request that cannot be read (malformed bytes, too large) ends this stream only.
                        throw ToRpcException(exception);
                    }

                    if (!more)
                    {
                        break;
                    }

                    var request = _requests.Current;
                    ValidateNode(NodeOf(request));
                    await BeforeRequestAsync(request, cancellation);
                    HandleRequest(request);
                    read = _requests.MoveNext(cancellation);
                }

                await FlushResponsesAsync(cancellation);
                FlushEvents();
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away, possibly in the middle of a response.
        }
        catch (IOException) when (cancellation.IsCancellationRequested)
        {
            // Likewise: the write failed because the stream was reset.
        }
        catch (Exception exception) when (exception is not RpcException and not OperationCanceledException and not IOException)
        {
            // Not the client's doing: counted (pilot_total_xds_internal_errors), then ended as gRPC ends it.
            _registry.Metrics?.InternalError();
            throw;
        }
        finally
        {
            _cacheListener?.Dispose();
            CancelSentRequest();
            FlushEvents();
            var unreported = _stats.TakeUnreported(StreamId);
            if (unreported.Count > 0)
            {
                _mesh.Report(NodeId, unreported);
            }

            _registry.Remove(StreamId);
            _mesh.ReportDisconnected(StreamId, NodeId);
            LogStreamClosed(Logger, Protocol, NodeId, StreamId);
        }
    }

    /// <summary>
    /// Authenticates the caller of a stream on the TLS port and checks, as istiod does, that the node
    /// is its own: the node's namespace (and node metadata <c>SERVICE_ACCOUNT</c>, when given) must be
    /// the caller identity's. Unauthenticated or PermissionDenied otherwise.
    /// </summary>
    private async Task<XdsCaller> AuthorizeAsync(Node node, ProxyIdentity identity, CancellationToken cancellation)
    {
        var (caller, problem) = await _security!.Authenticator.AuthenticateAsync(Call, cancellation);
        if (caller is null)
        {
            LogUnauthenticated(Logger, node.Id, Call.Peer, problem!);
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"authentication failed: {problem}"));
        }

        var serviceAccount = node.Metadata?.Fields.TryGetValue("SERVICE_ACCOUNT", out var sa) == true && sa.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue ? sa.StringValue : string.Empty;
        string? refused = null;
        if (identity.Namespace.Length > 0 && identity.Namespace != caller.Identity.Namespace)
        {
            refused = $"node {node.Id} is in namespace {identity.Namespace}, but the caller is {caller.Identity}";
        }
        else if (serviceAccount.Length > 0 && serviceAccount != caller.Identity.ServiceAccount)
        {
            refused = $"node {node.Id} says service account {serviceAccount}, but the caller is {caller.Identity}";
        }

        if (refused is not null)
        {
            LogForbidden(Logger, node.Id, Call.Peer, refused);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"authorization failed: {refused}"));
        }

        return caller;
    }

    /// <summary>Before a request for secrets is handled: its stream's certificate is issued first (bounded), so the answer carries it.</summary>
    private async Task BeforeRequestAsync(TRequest request, CancellationToken cancellation)
    {
        if ((FixedTypeUrl ?? TypeUrlOf(request)) != TypeUrls.Secret)
        {
            return;
        }

        if (_secrets is not null)
        {
            await _secrets.ReadyAsync(Options.CacheReadyTimeout, cancellation);
            await _secrets.HoldAsync(RequestedNamesOf(request), Options.CacheReadyTimeout, cancellation);
        }
        else if (!_secretsRefusedLogged)
        {
            _secretsRefusedLogged = true;
            LogSecretsRefused(Logger, NodeId, Call.Peer);
        }
    }

    /// <summary>
    /// The resources of <paramref name="typeUrl"/> this stream may be sent: the scope cache's, or for
    /// secrets the stream's own (none on a connection that is not authenticated).
    /// </summary>
    protected System.Collections.Immutable.ImmutableDictionary<string, CachedResource> ResourcesOf(ResourceCache.CacheView view, string typeUrl) =>
        typeUrl == TypeUrls.Secret
            ? _secrets?.Current ?? System.Collections.Immutable.ImmutableDictionary<string, CachedResource>.Empty
            : view.Of(typeUrl);

    /// <summary>True once after the stream's secrets changed (a renewed certificate).</summary>
    protected bool TakeSecretsChanged() => _secrets?.TakeChanged() == true;

    /// <summary>The type URL a request is about: its own, or the per-type service's.</summary>
    protected string ResolveTypeUrl(string requested)
    {
        if (FixedTypeUrl is not null)
        {
            if (requested.Length > 0 && requested != FixedTypeUrl)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"this service serves {FixedTypeUrl}, not {requested}"));
            }

            return FixedTypeUrl;
        }

        if (requested.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "type_url is required on an aggregated (ADS) stream"));
        }

        if (requested.Length > Options.MaxNameLength)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"type_url is longer than {Options.MaxNameLength} characters"));
        }

        return requested;
    }

    /// <summary>
    /// The stream's state for <paramref name="typeUrl"/>, created on first use. A stream asking for
    /// more distinct types than <see cref="XdsFrontendOptions.MaxTypeUrlsPerStream"/> ends with
    /// InvalidArgument, so unknown type URLs (each answered and tracked) cannot grow it without bound.
    /// </summary>
    protected TState StateOf<TState>(Dictionary<string, TState> types, string typeUrl, Func<string, TState> create)
    {
        if (!types.TryGetValue(typeUrl, out var state))
        {
            if (types.Count >= Options.MaxTypeUrlsPerStream)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"a stream may ask for at most {Options.MaxTypeUrlsPerStream} distinct type URLs (Mesh:Frontend:MaxTypeUrlsPerStream); {typeUrl} would be one more"));
            }

            state = create(typeUrl);
            types.Add(typeUrl, state);
        }

        return state;
    }

    /// <summary>Refuses a request naming too many or too long resources.</summary>
    protected void ValidateNames(IReadOnlyCollection<string> names, string field)
    {
        if (names.Count > Options.MaxResourceNamesPerRequest)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{names.Count} names in {field} exceed the limit of {Options.MaxResourceNamesPerRequest}"));
        }

        foreach (var name in names)
        {
            if (name.Length > Options.MaxNameLength)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"a name in {field} is longer than {Options.MaxNameLength} characters"));
            }
        }
    }

    /// <summary>The cache view the stream last worked from, or null before it looked at any.</summary>
    protected ResourceCache.CacheView? LastSeen => _seen;

    /// <summary>The cache view the stream last worked from (the current one until a change is pushed).</summary>
    protected ResourceCache.CacheView SeenView => _seen ??= Cache.Current;

    /// <summary>
    /// Moves the stream to the cache's current view and returns it, with the names per type that
    /// changed since the view it had (null: everything may have changed).
    /// </summary>
    protected (ResourceCache.CacheView View, IReadOnlyDictionary<string, HashSet<string>>? Changed) AdvanceView()
    {
        var view = Cache.Current;
        var changed = _seen is null ? null : view.ChangedSince(_seen.Generation, _seen.Epoch);
        _seen = view;
        return (view, changed);
    }

    /// <summary>Whether a change touches a subscription: any changed name of the type for a wildcard, else a subscribed one.</summary>
    protected static bool Touches(IReadOnlyDictionary<string, HashSet<string>>? changed, string typeUrl, bool wildcard, HashSet<string> names)
    {
        if (changed is null)
        {
            return true;
        }

        if (!changed.TryGetValue(typeUrl, out var changedNames))
        {
            return false;
        }

        if (wildcard)
        {
            return true;
        }

        // Overlaps walks its argument: look up the smaller set's names in the larger, so a change of one
        // name costs one lookup, not one per subscription.
        return changedNames.Count <= names.Count ? names.Overlaps(changedNames) : changedNames.Overlaps(names);
    }

    /// <summary>
    /// <paramref name="resource"/> as this stream's proxy is sent it: the shared variant of its
    /// locality for a ClusterLoadAssignment (built once per version and locality, not per stream).
    /// </summary>
    protected CachedResource ForProxy(CachedResource resource) =>
        ProxyLocality is null ? resource : Cache.ForLocality(resource, ProxyLocality);

    /// <summary>True when what this stream sends of <paramref name="typeUrl"/> may differ from the cache's own resources.</summary>
    protected bool SendsVariants(string typeUrl) => typeUrl == TypeUrls.Secret || (ProxyLocality is not null && typeUrl == TypeUrls.ClusterLoadAssignment);

    /// <summary>A fresh nonce, unique on this stream.</summary>
    protected string NextNonce() => (++_nonce).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Queues a response; queued responses are written in order once the current request or
    /// cache change has been handled.
    /// </summary>
    protected void Send(TResponse response) => _outgoing.Add(response);

    private async Task FlushResponsesAsync(CancellationToken cancellation)
    {
        var metrics = _registry.Metrics;
        foreach (var response in _outgoing)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await _responses.WriteAsync(response, cancellation);
            _stats.Sent(response.CalculateSize());
            if (metrics is not null)
            {
                // A push (woken by a cache change) counts toward push and convergence times; an answer to a request does not.
                var written = System.Diagnostics.Stopwatch.GetTimestamp();
                metrics.Written(
                    TypeUrlOfResponse(response),
                    System.Diagnostics.Stopwatch.GetElapsedTime(started, written),
                    _wokeAt is { } woke ? System.Diagnostics.Stopwatch.GetElapsedTime(woke, written) : null,
                    _wokeAt is not null && _pushedChangeAt is { } changed ? System.Diagnostics.Stopwatch.GetElapsedTime(changed, written) : null);
            }
        }

        _outgoing.Clear();
        _wokeAt = null;
        _pushedChangeAt = null;
    }

    /// <summary>What a proxy says its version is (node metadata <c>ISTIO_VERSION</c>, else its user agent's), at most 40 characters: a metric label.</summary>
    private static string ProxyVersionOf(Node node)
    {
        var version = node.Metadata?.Fields is { } fields && fields.TryGetValue("ISTIO_VERSION", out var value) && value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue
            ? value.StringValue
            : node.UserAgentVersion;
        return string.IsNullOrEmpty(version) ? "unknown" : version.Length <= 40 ? version : version[..40];
    }

    /// <summary>The type URL of a response (for metrics).</summary>
    protected abstract string TypeUrlOfResponse(TResponse response);

    /// <summary>
    /// Records a protocol event in the stream's own sync state. Sent and ACKed are reported to
    /// the ProxyGrain later, in bulk, by the <see cref="ProxyReporter"/>; a NACK goes at once.
    /// </summary>
    protected void Record(string typeUrl, ProxyEventKind kind, string version, string nonce, string? error)
    {
        var e = new ProxyEvent(StreamId, typeUrl, kind, version, nonce, error, Time.GetUtcNow());
        _stats.Apply(e);
        _registry.Metrics?.Record(e);
        if (kind == ProxyEventKind.Nacked)
        {
            _events.Add(e);
        }
    }

    /// <summary>
    /// Records a subscription change as its count and a bounded sample of its names, so that
    /// neither the stream's stats nor the ProxyGrain (which, in-process, would hold the very same
    /// list, the record being immutable) keep every name of a large subscription.
    /// </summary>
    protected void RecordSubscription(string typeUrl, bool wildcard, IReadOnlyCollection<string> names)
    {
        var size = Options.SubscriptionSampleSize;
        var sample = new List<string>(Math.Min(size, names.Count + 1));
        if (wildcard && size > 0)
        {
            sample.Add("*");
        }

        sample.AddRange(names.Order(StringComparer.Ordinal).Take(size - sample.Count));
        var e = new ProxyEvent(StreamId, typeUrl, ProxyEventKind.Subscribed, string.Empty, string.Empty, null, Time.GetUtcNow(), sample, names.Count + (wildcard ? 1 : 0));
        _stats.Apply(e);
        _events.Add(e);
    }

    private void ValidateNode(Node? node)
    {
        if (node is { Id.Length: > 0 } && node.Id != NodeId)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"node.id changed on the stream from '{NodeId}' to '{node.Id}'"));
        }
    }

    /// <summary>
    /// Waits for <paramref name="work"/>, but ends the stream with Unavailable as soon as the
    /// process starts shutting down (also before the work starts: a stream arriving while
    /// the process drains ends at once).
    /// </summary>
    private async Task WhileNotDrainingAsync(Task work)
    {
        if (!work.IsCompleted && !_draining.IsCancellationRequested)
        {
            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (_draining.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), drained))
            {
                await Task.WhenAny(work, drained.Task);
            }
        }

        if (_draining.IsCancellationRequested)
        {
            throw Ending();
        }
    }

    /// <summary>
    /// Why the stream ends now: the process is shutting down, or the stream reached its age limit,
    /// in which case the connection is asked to close too (HTTP/2 GOAWAY: no new stream on it), so
    /// the proxy's next stream goes wherever its load balancer sends a new connection.
    /// </summary>
    private RpcException Ending()
    {
        if (_shuttingDown.IsCancellationRequested)
        {
            return new(new Status(StatusCode.Unavailable, "control plane shutting down"));
        }

        Call.GetHttpContext().Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
        LogAged(Logger, StreamId, NodeId ?? string.Empty, Options.MaxStreamAge);
        return new(new Status(StatusCode.Unavailable, "stream reached its maximum age; reconnect"));
    }

    /// <summary>
    /// Waits until <paramref name="cache"/> holds its first snapshot, at most
    /// <see cref="XdsFrontendOptions.CacheReadyTimeout"/> (then <see cref="TimeoutException"/>), ending
    /// the stream with Unavailable if the process starts draining meanwhile.
    /// </summary>
    private async Task WaitReadyAsync(ResourceCache cache, CancellationToken cancellation)
    {
        var ready = cache.Ready.WaitAsync(Options.CacheReadyTimeout, Time, cancellation);
        await WhileNotDrainingAsync(ready);
        await ready;
    }

    private async Task WaitForCacheAsync(CancellationToken cancellation)
    {
        try
        {
            await WaitReadyAsync(Cache, cancellation);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the control plane has not loaded its configuration yet"));
        }
    }

    private static RpcException ToRpcException(Exception exception)
    {
        if (exception is RpcException rpc)
        {
            return rpc;
        }

        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is InvalidProtocolBufferException invalid)
            {
                return new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {typeof(TRequest).Name}: {invalid.Message}"));
            }
        }

        return new RpcException(new Status(StatusCode.InvalidArgument, $"unreadable {typeof(TRequest).Name}: {exception.Message}"));
    }

    /// <summary>
    /// The scope a sidecar's own workload scope says it belongs in
    /// (<see cref="TypeUrls.ScopeAssignment"/>: a workload-selecting Sidecar applies, or no longer
    /// does), when that is not the scope it is served from; else null.
    /// </summary>
    private ScopeKey? AssignedScope()
    {
        if (_scope is not { Overlay: { } overlay } scope || !ScopeNames.IsPartScope(scope.Base)
            || !Cache.Current.Of(TypeUrls.ScopeAssignment).TryGetValue(TypeUrls.ScopeAssignmentName, out var assignment))
        {
            return null;
        }

        // Decoded once per assignment version, not on every change of every stream.
        if (_assignmentSeen is not { } seen || !ReferenceEquals(seen.Resource, assignment))
        {
            seen = (assignment, assignment.Any.Value.ToStringUtf8());
            _assignmentSeen = seen;
        }

        var assigned = seen.Scope;
        return ScopeNames.IsPartScope(assigned) && assigned != scope.Base ? new ScopeKey(assigned, overlay) : null;
    }

    private void SignalCacheChanged() => Volatile.Read(ref _cacheChanged).TrySetResult();

    /// <summary>
    /// Asks the stream to move to the cache of <paramref name="scope"/>. Thread-safe; the move
    /// itself happens on the stream's own loop, like any cache change (the last request wins).
    /// </summary>
    private void MoveTo(ScopeKey scope)
    {
        Volatile.Write(ref _moveTo, scope);
        SignalCacheChanged();
    }

    /// <summary>
    /// Moves the stream to the cache of <paramref name="target"/>: leases it, waits until it is
    /// ready, then listens to it instead of the old one and lets the old lease go. The push that
    /// follows compares what the proxy holds with the new cache as after a resync (the view's
    /// generation differs): SotW resends each subscribed type whose set differs (LDS and CDS
    /// whole, clusters kept until the new listeners are out, make before break); Delta sends
    /// only the resources whose versions differ, then the removals. A cache that is not ready in
    /// time leaves the stream where it was.
    /// </summary>
    private async Task MoveAsync(ScopeKey target, CancellationToken cancellation)
    {
        if (target == _scope)
        {
            return;
        }

        var lease = _caches.Acquire(target);
        try
        {
            await WaitReadyAsync(lease.Cache, cancellation);
        }
        catch (TimeoutException)
        {
            lease.Dispose();
            LogMoveTimedOut(Logger, StreamId, NodeId, target.Name);
            return;
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        var from = _scope!.Name;
        _cacheListener?.Dispose();
        var old = _lease;
        _lease = lease;
        _scope = target;
        Cache = lease.Cache;
        _cacheListener = Cache.Listen(SignalCacheChanged);
        old?.Dispose();
        if (_entry is not null)
        {
            _entry = _entry with { Scope = Cache.Scope };
            _registry.Add(_entry);
        }

        LogMoved(Logger, StreamId, NodeId, from, target.Name);
    }

    private void FlushEvents()
    {
        if (_events.Count == 0)
        {
            return;
        }

        // Rare events (NACKs, subscription changes) go at once, with the stream's current state.
        _mesh.Report(NodeId, [.. _stats.TakeUnreported(StreamId), .. _events]);
        _events.Clear();
    }

    private static string FormatLocality(Locality? locality) =>
        locality is null ? string.Empty : $"{locality.Region}/{locality.Zone}/{locality.SubZone}";

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{Protocol} stream {StreamId} opened by node {NodeId} from {Peer}")]
    private static partial void LogStreamOpened(ILogger logger, string protocol, string nodeId, string streamId, string peer);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "{Protocol} stream {StreamId} of node {NodeId} closed")]
    private static partial void LogStreamClosed(ILogger logger, string protocol, string nodeId, string streamId);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "Stream {StreamId} of node {NodeId} moved from scope {From} to scope {To}")]
    private static partial void LogMoved(ILogger logger, string streamId, string nodeId, string from, string to);

    [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "Stream {StreamId} of node {NodeId} reached its maximum age (about {MaxAge}): ending it and asking its connection to close")]
    private static partial void LogAged(ILogger logger, string streamId, string nodeId, TimeSpan maxAge);

    [LoggerMessage(EventId = 447, Level = LogLevel.Warning, Message = "Stream of node {NodeId} from {Peer} refused: not authenticated ({Reason})")]
    private static partial void LogUnauthenticated(ILogger logger, string nodeId, string peer, string reason);

    [LoggerMessage(EventId = 448, Level = LogLevel.Warning, Message = "Stream of node {NodeId} from {Peer} refused: {Reason}")]
    private static partial void LogForbidden(ILogger logger, string nodeId, string peer, string reason);

    [LoggerMessage(EventId = 449, Level = LogLevel.Warning, Message = "Node {NodeId} from {Peer} asked for SDS secrets on a connection that is not authenticated; secrets are served on the TLS xDS port only")]
    private static partial void LogSecretsRefused(ILogger logger, string nodeId, string peer);

    [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "Stream {StreamId} of node {NodeId} stays in its scope: the cache of scope {To} was not ready in time")]
    private static partial void LogMoveTimedOut(ILogger logger, string streamId, string nodeId, string to);
}
