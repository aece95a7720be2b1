using System.Net;
using k8s;
using k8s.Autorest;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Objects;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// Reads one member cluster's Kubernetes API: per kind, a list and then a watch from the
/// list's resourceVersion (with bookmarks), as a careful client does. Each object is validated
/// by the same parsers as the YAML directory's documents, keeps its last good version when an
/// update is invalid, and what changed is handed to the mesh after a debounce: a watch event
/// costs what the objects it touches cost, not what the cluster holds.
/// </summary>
/// <remarks>
/// Watch semantics: a watch that ends (its timeout, a dropped connection) is opened again from
/// the last resourceVersion seen; a <c>410 Gone</c> (the version was compacted away) relists
/// and reconciles, so an object deleted while the watch was down really disappears; failures
/// are retried with jittered exponential back-off; and every kind is listed again every
/// <see cref="KubernetesSourceOptions.ResyncInterval"/>, which repairs any event missed. While
/// the API server cannot be reached, the last known objects keep serving (never dropped) and
/// the cluster shows as not connected with the time of its last contact.
/// </remarks>
public sealed partial class KubernetesSource
{
    private readonly MemberClusterSpec _spec;
    private readonly IClusterConfigSink _sink;
    private readonly KubernetesSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<MemberClusterSpec, IKubernetes> _connect;
    private readonly object _gate = new();
    private readonly Dictionary<string, ParsedFile> _objects = new(StringComparer.Ordinal);

    // Each object's resourceVersion as last read: a relist or resync that lists an object at the
    // version held changes nothing and costs no parse.
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);

    // EndpointSlices with an endpoint that names no zone, as the API sent them: read again when
    // a Node arrives or changes, since their locality comes from their nodes' labels.
    private readonly Dictionary<string, WatchedObject> _zoneless = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _kinds = new(StringComparer.Ordinal);
    private readonly ConfigAssembler _assembler = new();
    private readonly ChangeFeed _feed;

    // Completed once every kind's first list has ended (listed, not installed, or failed), so the
    // first message holds the whole cluster, not Services without their endpoints.
    private readonly TaskCompletionSource _listedOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<string> _firstListEnded = new(StringComparer.Ordinal);
    private readonly Debouncer _debouncer;
    private DateTimeOffset? _lastContact;
    private DateTimeOffset? _lastEvent;
    private string? _error;
    private bool _connected;
    private bool _reportedDown;
    private int _rejected;
    private readonly ReportedOnce _reportedRejections = new();

    /// <summary>Creates the source of one member cluster.</summary>
    public KubernetesSource(MemberClusterSpec spec, IClusterConfigSink sink, KubernetesSourceOptions options, TimeProvider time, ILogger logger, Func<MemberClusterSpec, IKubernetes>? connect = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _spec = spec;
        _sink = sink;
        _options = options;
        _time = time;
        _logger = logger;
        _connect = connect ?? Connect;
        _debouncer = new Debouncer(options.DebounceQuiet, options.DebounceMax, time);
        _feed = new ChangeFeed(spec.Id, sink);
    }

    /// <summary>Where the source stands.</summary>
    public MemberClusterStatus Status
    {
        get
        {
            lock (_gate)
            {
                var perKind = _objects.Values
                    .SelectMany(f => f.Documents)
                    .Where(d => d.Key is not null)
                    .GroupBy(d => d.Key!.Value.Kind, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                return new MemberClusterStatus(_spec.Id, _spec.Kubeconfig ?? "in-cluster", _connected, _lastContact, _lastEvent, perKind, _rejected, _error,
                    Environment.MachineName, new Dictionary<string, string>(_kinds, StringComparer.Ordinal),
                    _assembler.Report.Ignored.Select(i => $"{i.Kind} {i.Namespace}/{i.Name}: {i.Reason}").ToList());
            }
        }
    }

    /// <summary>Reads the cluster until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        LogStarting(_logger, _spec.Id, _spec.Kubeconfig ?? "in-cluster");
        IKubernetes? client = null;
        var delay = _options.MinRetryDelay;
        while (client is null && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                client = _connect(_spec);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A malformed or missing kubeconfig: say so, and look again (it may be mounted later).
                Disconnected($"cannot build a client: {exception.Message}");
                delay = await DelayAsync(delay, cancellationToken);
            }
        }

        if (client is null)
        {
            return;
        }

        using (client)
        {
            var reflectors = ResourceKinds.All.Select(kind => ReflectAsync(client, kind, cancellationToken)).ToList();
            var applier = ApplyLoopAsync(cancellationToken);
            await Task.WhenAll([.. reflectors, applier]);
        }
    }

    /// <summary>Lists and watches one kind for as long as the source runs.</summary>
    private async Task ReflectAsync(IKubernetes client, ResourceKind kind, CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var delay = _options.MinRetryDelay;
        var nextResync = _time.GetUtcNow() + _options.ResyncInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    SetKind(kind, "listing");
                    var (listed, items) = await kind.ListAsync(client, cancellationToken);
                    Replace(kind, items);
                    FirstListEnded(kind);
                    resourceVersion = listed;
                    nextResync = _time.GetUtcNow() + _options.ResyncInterval;
                    Contact();
                }

                SetKind(kind, "watching");
                using var untilResync = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var left = nextResync - _time.GetUtcNow();
                untilResync.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                var timeout = (int)Math.Max(1, Math.Min(_options.WatchTimeout.TotalSeconds, Math.Ceiling(left.TotalSeconds) + 1));
                await foreach (var (type, item) in kind.WatchAsync(client, resourceVersion, timeout, untilResync.Token))
                {
                    Contact();
                    delay = _options.MinRetryDelay;
                    if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                    {
                        SourceMetrics.WatchEvent(kind.Kind, type switch { WatchEventType.Added => "add", WatchEventType.Modified => "update", _ => "delete" });
                    }

                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            Upsert(kind, item);
                            break;
                        case WatchEventType.Deleted:
                            Remove(kind, item.Namespace, item.Name);
                            break;
                        case WatchEventType.Error:
                            // What the API server sends when the version is gone: relist.
                            resourceVersion = null;
                            break;
                    }

                    if (resourceVersion is null)
                    {
                        break;
                    }

                    if (item.ResourceVersion.Length > 0)
                    {
                        resourceVersion = item.ResourceVersion;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The resync is due: list again, which reconciles whatever the watch missed.
                resourceVersion = null;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (IsGone(exception))
            {
                LogRelist(_logger, _spec.Id, kind.Kind);
                resourceVersion = null;
            }
            catch (Exception exception) when (IsNotInstalled(exception))
            {
                if (!string.Equals(KindState(kind), "not installed", StringComparison.Ordinal))
                {
                    LogNotInstalled(_logger, _spec.Id, kind.ToString());
                }

                SetKind(kind, "not installed");
                FirstListEnded(kind);
                Contact();
                resourceVersion = null;
                await Task.Delay(_options.NotInstalledRetryInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception exception)
            {
                SetKind(kind, "failing: " + exception.Message);
                FirstListEnded(kind);
                Disconnected($"{kind.Kind}: {Describe(exception)}");
                delay = await DelayAsync(delay, cancellationToken);
            }
        }
    }

    private void FirstListEnded(ResourceKind kind)
    {
        lock (_gate)
        {
            if (_firstListEnded.Add(kind.ToString()) && _firstListEnded.Count == ResourceKinds.All.Count)
            {
                _listedOnce.TrySetResult();
            }
        }
    }

    private void Replace(ResourceKind kind, IReadOnlyList<WatchedObject> items)
    {
        lock (_gate)
        {
            var prefix = kind.Kind + " ";
            var stale = _objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var key = Key(kind, item.Namespace, item.Name);
                stale.Remove(key);
                Store(kind, key, item);
            }

            // Gone from the list: deleted, even if its watch event was never seen.
            foreach (var key in stale)
            {
                Forget(kind, key);
            }
        }

        _debouncer.Signal();
    }

    private void Upsert(ResourceKind kind, WatchedObject item)
    {
        lock (_gate)
        {
            Store(kind, Key(kind, item.Namespace, item.Name), item);
            _lastEvent = _time.GetUtcNow();
        }

        _debouncer.Signal();
    }

    private void Remove(ResourceKind kind, string ns, string name)
    {
        lock (_gate)
        {
            Forget(kind, Key(kind, ns, name));
            _lastEvent = _time.GetUtcNow();
        }

        _debouncer.Signal();
    }

    /// <summary>Parses an object with the YAML directory's validators (JSON is YAML) and keeps it under its key.</summary>
    private void Store(ResourceKind kind, string key, WatchedObject item)
    {
        if (item.ResourceVersion.Length > 0 && _versions.GetValueOrDefault(key) == item.ResourceVersion && _objects.ContainsKey(key))
        {
            return;
        }

        _versions[key] = item.ResourceVersion;
        var file = SliceOrigin.Stamp(KubernetesObjectParser.Parse(key, item.Json), _spec.Id, _spec.Network);
        _zoneless.Remove(key);
        if (file.Documents is [{ Value: MeshEndpointSlice slice }] && slice.Endpoints.Any(e => string.IsNullOrEmpty(e.Zone)))
        {
            _zoneless[key] = item;
        }

        Hold(key, WithLocality(file));
        if (file.Documents is [{ Value: NodeInfo node }] && _nodes.GetValueOrDefault(node.Name) != node)
        {
            _nodes[node.Name] = node;
            RelocateSlices();
        }
    }

    private void Forget(ResourceKind kind, string key)
    {
        _zoneless.Remove(key);
        _versions.Remove(key);
        _assembler.Remove(key);
        if (_objects.Remove(key, out var file) && file.Documents is [{ Key: { Kind: "Node" } nodeKey }])
        {
            _nodes.Remove(nodeKey.Name);
            RelocateSlices();
        }
    }

    /// <summary>Reads again the slices whose locality depends on nodes (rare: nodes change seldom).</summary>
    private void RelocateSlices()
    {
        foreach (var (key, item) in _zoneless.ToList())
        {
            Hold(key, WithLocality(SliceOrigin.Stamp(KubernetesObjectParser.Parse(key, item.Json), _spec.Id, _spec.Network)));
        }
    }

    private void Hold(string key, ParsedFile file)
    {
        _objects[key] = file;
        _assembler.Set(file);
    }

    /// <summary>
    /// Gives endpoints that carry no zone the topology of their node, or else the member
    /// cluster's default region and zone, so every endpoint has a locality to fail over by.
    /// </summary>
    private ParsedFile WithLocality(ParsedFile file)
    {
        if (file.Documents is not [{ Value: MeshEndpointSlice slice } document]
            || slice.Endpoints.All(e => !string.IsNullOrEmpty(e.Zone)))
        {
            return file;
        }

        var endpoints = slice.Endpoints.Select(e =>
        {
            if (!string.IsNullOrEmpty(e.Zone))
            {
                return e;
            }

            var node = e.NodeName is null ? null : _nodes.GetValueOrDefault(e.NodeName);
            var region = node?.Region ?? _spec.Region;
            var zone = node?.Zone ?? _spec.Zone;
            return zone is null && region is null ? e : e with { Zone = $"{region}/{zone}" };
        }).ToList();
        return file with { Documents = [document with { Value = slice with { Endpoints = endpoints } }] };
    }

    /// <summary>Hands what changed to the mesh after each burst of changes.</summary>
    private async Task ApplyLoopAsync(CancellationToken cancellationToken)
    {
        await _listedOnce.Task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var delay = _options.MinRetryDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _debouncer.WaitForBurstAsync(cancellationToken);
                var sent = await _feed.SendAsync(full =>
                {
                    lock (_gate)
                    {
                        _rejected = _assembler.Rejected.Count;
                        return _assembler.TakeChanges(full);
                    }
                }, cancellationToken);
                if (sent?.Rejected is { } rejected)
                {
                    ReportRejections(rejected);
                }

                delay = _options.MinRetryDelay;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogApplyFailed(_logger, exception, _spec.Id);
                delay = await DelayAsync(delay, cancellationToken);
                _debouncer.Signal();
            }
        }
    }

    private void ReportRejections(IReadOnlyList<RejectedObject> rejected)
    {
        foreach (var rejection in _reportedRejections.New(rejected, r => r.ToString()))
        {
            LogRejected(_logger, _spec.Id, rejection.Kind, rejection.Namespace, rejection.Name, rejection.Field, rejection.Reason, rejection.KeptLastGood);
        }
    }

    private void Contact()
    {
        lock (_gate)
        {
            _lastContact = _time.GetUtcNow();
            if (!_connected && _reportedDown)
            {
                LogReconnected(_logger, _spec.Id);
            }

            _connected = true;
            _reportedDown = false;
            _error = null;
            SourceMetrics.Up(_spec.Id, true);
        }
    }

    private void Disconnected(string error)
    {
        lock (_gate)
        {
            _connected = false;
            _error = error;
            SourceMetrics.Up(_spec.Id, false);
            if (!_reportedDown)
            {
                _reportedDown = true;
                LogUnreachable(_logger, _spec.Id, error, _lastContact);
            }
        }
    }

    private void SetKind(ResourceKind kind, string state)
    {
        lock (_gate)
        {
            _kinds[kind.ToString()] = state;
        }
    }

    private string? KindState(ResourceKind kind)
    {
        lock (_gate)
        {
            return _kinds.GetValueOrDefault(kind.ToString());
        }
    }

    /// <summary>Waits about <paramref name="delay"/>, with jitter (so many silos or kinds do not retry in step); returns the next, doubled up to the maximum.</summary>
    private async Task<TimeSpan> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var jittered = delay * (0.5 + (Random.Shared.NextDouble() / 2));
        await Task.Delay(jittered, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
    }

    private static string Key(ResourceKind kind, string ns, string name) => $"{kind.Kind} {ns}/{name}";

    private static bool IsGone(Exception exception) => StatusOf(exception) == HttpStatusCode.Gone;

    private static bool IsNotInstalled(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;

    private static HttpStatusCode? StatusOf(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpOperationException http when http.Response is not null:
                    return http.Response.StatusCode;
                case KubernetesException k8s when k8s.Status?.Code is int code:
                    return (HttpStatusCode)code;
            }
        }

        return null;
    }

    private static string Describe(Exception exception) => StatusOf(exception) is { } status
        ? $"the API server answered {(int)status} {status}"
        : exception.InnerException?.Message ?? exception.Message;

    /// <summary>A client from the spec's kubeconfig (its current context), or in-cluster credentials.</summary>
    internal static IKubernetes Connect(MemberClusterSpec spec)
    {
        var config = spec.Kubeconfig is null
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(spec.Kubeconfig);
        return new k8s.Kubernetes(config, new WatchAbortHandler());
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Reading member cluster {ClusterId} from {Source}")]
    private static partial void LogStarting(ILogger logger, string clusterId, string source);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Member cluster {ClusterId} is unreachable ({Error}); its last known objects keep serving (last contact {LastContact})")]
    private static partial void LogUnreachable(ILogger logger, string clusterId, string error, DateTimeOffset? lastContact);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Member cluster {ClusterId} answers again")]
    private static partial void LogReconnected(ILogger logger, string clusterId);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Member cluster {ClusterId}: the {Kind} watch is too old (410 Gone); listing again")]
    private static partial void LogRelist(ILogger logger, string clusterId, string kind);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "Member cluster {ClusterId} does not serve {Kind} (its CRD is not installed); skipping it and looking again later")]
    private static partial void LogNotInstalled(ILogger logger, string clusterId, string kind);

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "Member cluster {ClusterId}: rejected {Kind} {Namespace}/{Name} {Field}: {Reason} (last good version kept: {KeptLastGood})")]
    private static partial void LogRejected(ILogger logger, string clusterId, string kind, string @namespace, string name, string field, string reason, bool keptLastGood);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Member cluster {ClusterId}: could not apply its objects; retrying")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string clusterId);
}
