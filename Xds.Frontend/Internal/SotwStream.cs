using System.Threading.Channels;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// One State-of-the-World ADS stream. A reader task queues the client's requests; a single
/// loop handles them and the cache's change signals in turn, so responses are written by
/// one writer and the per-type state needs no lock.
/// </summary>
/// <remarks>
/// Protocol rules (xDS REST and gRPC protocol, "ACK/NACK and resource type instance version",
/// "When to send an update", "How the client specifies what resources to return"):
/// every response has a fresh nonce; a request carrying the last nonce is an ACK, or a
/// NACK when error_detail is set; a request carrying an older nonce is stale and ignored;
/// LDS and CDS responses carry the whole subscribed set (a missing resource is deleted),
/// EDS and RDS responses carry only what changed; a NACKed version is not sent again.
/// </remarks>
internal sealed partial class SotwStream
{
    private static readonly object s_cacheChanged = new();

    private readonly IAsyncStreamReader<DiscoveryRequest> _requests;
    private readonly IServerStreamWriter<DiscoveryResponse> _responses;
    private readonly ServerCallContext _context;
    private readonly ResourceCache _cache;
    private readonly IMeshStateClient _mesh;
    private readonly StreamRegistry _registry;
    private readonly XdsFrontendOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TypeState> _types = new(StringComparer.Ordinal);
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _readAhead;
    private readonly List<ProxyEvent> _events = [];
    private readonly string _streamId = Guid.NewGuid().ToString("N");
    private int _cacheSignalPending;
    private long _nonce;
    private string _nodeId = string.Empty;

    public SotwStream(
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        ServerCallContext context,
        ResourceCache cache,
        IMeshStateClient mesh,
        StreamRegistry registry,
        XdsFrontendOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _requests = requests;
        _responses = responses;
        _context = context;
        _cache = cache;
        _mesh = mesh;
        _registry = registry;
        _options = options;
        _time = time;
        _logger = logger;
        _readAhead = new SemaphoreSlim(options.RequestQueueCapacity, options.RequestQueueCapacity);
    }

    public async Task RunAsync()
    {
        var cancellation = _context.CancellationToken;
        try
        {
            if (!await _requests.MoveNext(cancellation))
            {
                return;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw ToRpcException(exception);
        }

        var first = _requests.Current;
        var node = first.Node;
        if (node is null || string.IsNullOrEmpty(node.Id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first DiscoveryRequest on a stream must carry node.id"));
        }

        if (node.Id.Length > _options.MaxNameLength)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"node.id is longer than {_options.MaxNameLength} characters"));
        }

        _nodeId = node.Id;
        await WaitForCacheAsync(cancellation);

        var proxyNode = new ProxyNode(node.Id, node.Cluster, $"{node.UserAgentName} {node.UserAgentVersion}".Trim(), FormatLocality(node.Locality));
        _registry.Add(new StreamRegistry.OpenStream(_streamId, _nodeId, "ADS SotW", _time.GetUtcNow(), _context.Peer));
        _mesh.ReportConnected(_streamId, proxyNode);
        LogStreamOpened(_logger, _nodeId, _streamId, _context.Peer);
        using var listener = _cache.Listen(SignalCacheChanged);
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var reader = ReadRequestsAsync(first, readerStop.Token);
        try
        {
            await foreach (var item in _inbox.Reader.ReadAllAsync(cancellation))
            {
                switch (item)
                {
                    case DiscoveryRequest request:
                        _readAhead.Release();
                        await HandleRequestAsync(request, cancellation);
                        break;
                    case ReaderFault fault:
                        throw fault.Exception;
                    default:
                        Volatile.Write(ref _cacheSignalPending, 0);
                        await PushChangesAsync(cancellation);
                        break;
                }

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
        finally
        {
            await readerStop.CancelAsync();
            await reader;
            FlushEvents();
            _registry.Remove(_streamId);
            _mesh.ReportDisconnected(_streamId, _nodeId);
            LogStreamClosed(_logger, _nodeId, _streamId);
        }
    }

    private async Task WaitForCacheAsync(CancellationToken cancellation)
    {
        try
        {
            await _cache.Ready.WaitAsync(_options.CacheReadyTimeout, _time, cancellation);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the control plane has not loaded its configuration yet"));
        }
    }

    private async Task ReadRequestsAsync(DiscoveryRequest first, CancellationToken cancellation)
    {
        try
        {
            await _readAhead.WaitAsync(cancellation);
            _inbox.Writer.TryWrite(first);
            while (await _requests.MoveNext(cancellation))
            {
                await _readAhead.WaitAsync(cancellation);
                _inbox.Writer.TryWrite(_requests.Current);
            }

            _inbox.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            _inbox.Writer.TryComplete();
        }
        catch (Exception exception)
        {
            // A request that cannot be read (malformed bytes, too large, a reset) ends this stream only.
            _inbox.Writer.TryWrite(new ReaderFault(ToRpcException(exception)));
            _inbox.Writer.TryComplete();
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
                return new RpcException(new Status(StatusCode.InvalidArgument, "malformed DiscoveryRequest: " + invalid.Message));
            }
        }

        return new RpcException(new Status(StatusCode.InvalidArgument, "unreadable DiscoveryRequest: " + exception.Message));
    }

    private void SignalCacheChanged()
    {
        if (Interlocked.Exchange(ref _cacheSignalPending, 1) == 0)
        {
            _inbox.Writer.TryWrite(s_cacheChanged);
        }
    }

    private async Task HandleRequestAsync(DiscoveryRequest request, CancellationToken cancellation)
    {
        Validate(request);
        var typeUrl = request.TypeUrl;
        if (!_types.TryGetValue(typeUrl, out var state))
        {
            state = new TypeState(typeUrl);
            _types.Add(typeUrl, state);
        }

        var nonce = request.ResponseNonce;
        if (nonce.Length > 0)
        {
            if (nonce != state.Nonce)
            {
                LogStaleNonce(_logger, _nodeId, typeUrl, nonce, state.Nonce);
                return;
            }

            if (request.ErrorDetail is { } error)
            {
                state.NackedVersion = state.SentVersion;
                Record(typeUrl, ProxyEventKind.Nacked, state.SentVersion ?? string.Empty, nonce, error.Message);
                LogNack(_logger, _nodeId, typeUrl, state.SentVersion, nonce, error.Code, error.Message);
            }
            else
            {
                state.AckedVersion = request.VersionInfo;
                Record(typeUrl, ProxyEventKind.Acked, request.VersionInfo, nonce, null);
                LogAck(_logger, _nodeId, typeUrl, request.VersionInfo, nonce);
            }
        }

        var firstForType = !state.Requested;
        var subscriptionChanged = UpdateSubscription(state, request.ResourceNames, firstForType);
        state.Requested = true;
        if (subscriptionChanged)
        {
            var names = state.Names.Order(StringComparer.Ordinal).ToList();
            if (state.Wildcard)
            {
                names.Insert(0, "*");
            }

            _events.Add(new ProxyEvent(_streamId, typeUrl, ProxyEventKind.Subscribed, string.Empty, string.Empty, null, _time.GetUtcNow(), names));
        }

        if (!TypeUrls.IsKnown(typeUrl))
        {
            if (firstForType || subscriptionChanged)
            {
                // An unknown type gets an empty response, not a broken stream.
                LogUnknownType(_logger, _nodeId, typeUrl);
                await SendAsync(state, string.Empty, [], cancellation);
            }

            return;
        }

        if (nonce.Length == 0 || subscriptionChanged)
        {
            await PushTypeAsync(state, forced: true, keepRemoved: false, cancellation);
        }
    }

    private void Validate(DiscoveryRequest request)
    {
        if (string.IsNullOrEmpty(request.TypeUrl))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "type_url is required on an aggregated (ADS) stream"));
        }

        if (request.TypeUrl.Length > _options.MaxNameLength)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"type_url is longer than {_options.MaxNameLength} characters"));
        }

        if (request.Node is { Id.Length: > 0 } node && node.Id != _nodeId)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"node.id changed on the stream from '{_nodeId}' to '{node.Id}'"));
        }

        if (request.ResourceNames.Count > _options.MaxResourceNamesPerRequest)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{request.ResourceNames.Count} resource names exceed the limit of {_options.MaxResourceNamesPerRequest}"));
        }

        foreach (var name in request.ResourceNames)
        {
            if (name.Length > _options.MaxNameLength)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"a resource name is longer than {_options.MaxNameLength} characters"));
            }
        }
    }

    /// <summary>
    /// Applies a request's resource_names. For LDS and CDS an empty first request is the
    /// legacy wildcard, kept by later empty requests; "*" is the explicit wildcard for any type.
    /// Returns true when the subscription changed.
    /// </summary>
    private static bool UpdateSubscription(TypeState state, IReadOnlyCollection<string> names, bool first)
    {
        bool wildcard;
        bool legacy;
        HashSet<string> named;
        if (names.Count == 0)
        {
            legacy = first ? TypeUrls.IsFullStateInSotw(state.TypeUrl) || !TypeUrls.IsKnown(state.TypeUrl) : state.LegacyWildcard;
            wildcard = legacy;
            named = new HashSet<string>(StringComparer.Ordinal);
        }
        else
        {
            legacy = false;
            named = new HashSet<string>(names, StringComparer.Ordinal);
            wildcard = named.Remove("*");
        }

        var changed = first || wildcard != state.Wildcard || !named.SetEquals(state.Names);
        state.Wildcard = wildcard;
        state.LegacyWildcard = legacy;
        state.Names.Clear();
        state.Names.UnionWith(named);
        if (changed)
        {
            // Forget what the client no longer asks for, so that asking again resends it.
            foreach (var name in state.Sent.Keys.Where(n => !state.Wants(n)).ToList())
            {
                state.Sent.Remove(name);
            }
        }

        return changed;
    }

    /// <summary>
    /// Pushes a cache change in make-before-break order: CDS first, still holding clusters
    /// that were removed, then EDS, LDS and RDS, and only then CDS without the removed
    /// clusters, so no route ever names a cluster the client lacks.
    /// </summary>
    private async Task PushChangesAsync(CancellationToken cancellation)
    {
        if (_types.TryGetValue(TypeUrls.Cluster, out var clusters))
        {
            await PushTypeAsync(clusters, forced: false, keepRemoved: true, cancellation);
        }

        foreach (var typeUrl in TypeUrls.PushOrder.Skip(1))
        {
            if (_types.TryGetValue(typeUrl, out var state))
            {
                await PushTypeAsync(state, forced: false, keepRemoved: false, cancellation);
            }
        }

        if (clusters is not null)
        {
            await PushTypeAsync(clusters, forced: false, keepRemoved: false, cancellation);
        }
    }

    private async Task PushTypeAsync(TypeState state, bool forced, bool keepRemoved, CancellationToken cancellation)
    {
        if (!state.Requested)
        {
            return;
        }

        var available = _cache.Current.Of(state.TypeUrl);
        var included = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        if (state.Wildcard)
        {
            foreach (var (name, resource) in available)
            {
                included[name] = resource;
            }
        }

        foreach (var name in state.Names)
        {
            if (available.TryGetValue(name, out var resource))
            {
                included[name] = resource;
            }
        }

        if (keepRemoved)
        {
            foreach (var (name, resource) in state.Sent)
            {
                included.TryAdd(name, resource);
            }
        }

        var version = ResourceVersion.OfSet(included.Values.Select(r => (r.Name, r.Version)));
        if (!forced && (version == state.SentVersion || version == state.NackedVersion))
        {
            return;
        }

        List<CachedResource> toSend;
        if (TypeUrls.IsFullStateInSotw(state.TypeUrl))
        {
            toSend = [.. included.Values];
            state.Sent.Clear();
        }
        else
        {
            // EDS and RDS: only what the client does not hold at this version.
            toSend = included.Values.Where(r => !state.Sent.TryGetValue(r.Name, out var held) || held.Version != r.Version).ToList();
            foreach (var name in state.Sent.Keys.Where(n => !included.ContainsKey(n)).ToList())
            {
                state.Sent.Remove(name);
            }

            if (toSend.Count == 0 && state.EverSent)
            {
                state.SentVersion = version;
                return;
            }
        }

        foreach (var resource in toSend)
        {
            state.Sent[resource.Name] = resource;
        }

        toSend.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        await SendAsync(state, version, toSend, cancellation);
    }

    private async Task SendAsync(TypeState state, string version, IReadOnlyList<CachedResource> resources, CancellationToken cancellation)
    {
        var nonce = (++_nonce).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = state.TypeUrl, Nonce = nonce };
        foreach (var resource in resources)
        {
            response.Resources.Add(resource.Any);
        }

        state.Nonce = nonce;
        state.SentVersion = version;
        await _responses.WriteAsync(response, cancellation);
        Record(state.TypeUrl, ProxyEventKind.Sent, version, nonce, null);
        LogSent(_logger, _nodeId, state.TypeUrl, version, nonce, resources.Count);
    }

    private void Record(string typeUrl, ProxyEventKind kind, string version, string nonce, string? error) =>
        _events.Add(new ProxyEvent(_streamId, typeUrl, kind, version, nonce, error, _time.GetUtcNow()));

    private void FlushEvents()
    {
        if (_events.Count == 0)
        {
            return;
        }

        _mesh.Report(_nodeId, _events.ToList());
        _events.Clear();
    }

    private static string FormatLocality(Envoy.Config.Core.V3.Locality? locality) =>
        locality is null ? string.Empty : $"{locality.Region}/{locality.Zone}/{locality.SubZone}";

    private sealed record ReaderFault(RpcException Exception);
}
