using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One member cluster. Its source hands it changes of objects (<see cref="ClusterChanges"/>);
/// it keeps the objects in a <see cref="ClusterIndex"/>, recomputes the inputs of the hostnames
/// a change touches, pushes each changed input to that hostname's ServiceGrain, then hands the
/// resulting resources to the scope in one batch, so that a proxy sees one change set, in
/// make-before-break order, even when a change spans several services.
/// </summary>
/// <remarks>
/// The objects live in memory only; what is stored is each hostname's input hash, the
/// rejections and the warnings. A reactivated grain holds no objects and answers the source's
/// next change with "send everything" (see <see cref="IClusterGrain.ApplyChangesAsync"/>).
/// </remarks>
public sealed partial class ClusterGrain(
    [PersistentState("cluster", GrainStorage.Mesh)] IPersistentState<ClusterGrainState> state,
    IOptions<MeshScopingOptions> scoping,
    IOptions<Interfaces.Security.MeshSecurityOptions> security,
    ILogger<ClusterGrain> logger) : Grain, IClusterGrain
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    // The whole-mesh scopes every cluster's hostnames reach: proxyless clients', sidecars' (what
    // each sidecar scope starts from) and gateways', each held by shards (WholeMeshParts).
    // Sidecar scopes are listed by the directory.
    private static readonly string[] s_sharedScopes = [ScopeNames.Default, ScopeNames.Sidecar, ScopeNames.Router];

    // How long a write that only records new hashes of known hostnames may wait, so a burst of
    // endpoint changes costs one storage write (the state is as large as the cluster), not one each.
    private static readonly TimeSpan s_hashWriteDelay = TimeSpan.FromSeconds(5);

    private readonly ClusterIndex _index = new() { RootNamespace = scoping.Value.RootNamespace, TrustDomain = security.Value.TrustDomain };
    private readonly WorkloadIndex _workloads = new();

    // The workloads whose grains watch them, with what each was last told.
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    // The gateway label sets whose grains watch them, with the hash of what each was last told.
    private readonly Dictionary<string, GatewayWatch> _gatewayWatches = new(StringComparer.Ordinal);
    private long _gatewayGeneration = -1;

    // The sidecar scopes of this cluster whose grains watch which Sidecar applies, with the hash of what each was last told.
    private readonly Dictionary<string, SidecarWatch> _sidecarWatches = new(StringComparer.Ordinal);

    // What EnvoyFilters' patches did not do, by the scope that applied them (in memory: scopes report again when they patch).
    private const int MaxPatchReporters = 10_000;
    private readonly Dictionary<string, IReadOnlyList<ConfigWarning>> _patchProblems = new(StringComparer.Ordinal);
    private long _sidecarGeneration = -1;

    // Hostnames whose ServiceGrain could not be updated: tried again on a timer and with every change.
    private readonly HashSet<string> _retry = new(StringComparer.Ordinal);
    private IGrainTimer? _retryTimer;
    private IGrainTimer? _writeTimer;
    private StateWriter<ClusterGrainState>? _writer;

    private StateWriter<ClusterGrainState> Writer => _writer ??= new StateWriter<ClusterGrainState>(state, logger, this.GetPrimaryKeyString);
    private Guid? _epoch;
    private long _sequence;
    private bool _scopeTold;

    /// <inheritdoc/>
    public Task ApplyAsync(ClusterConfig config) => ApplyChangesAsync(ClusterChanges.FullOf(config, Guid.NewGuid(), 0));

    /// <inheritdoc/>
    public async Task<bool> ApplyChangesAsync(ClusterChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var clusterId = this.GetPrimaryKeyString();
        if (!changes.Full && (changes.Epoch != _epoch || changes.Sequence != _sequence + 1))
        {
            LogOutOfSequence(logger, clusterId, changes.Sequence, _sequence, _epoch is null);
            return false;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var warningsBefore = _index.Warnings;
        var touched = changes.Full ? _index.Replace(changes.Upserted) : _index.Change(changes.Upserted, changes.Deleted);
        if (!_scopeTold)
        {
            // The first full message of this activation: hostnames contributed before it and
            // absent now must be taken back from their ServiceGrains.
            touched.UnionWith(state.State.InputHashes.Keys);
        }

        var workloadIps = changes.Full ? _workloads.Replace(changes.Upserted) : _workloads.Change(changes.Upserted, changes.Deleted);
        var firstApply = _epoch is null;
        _epoch = changes.Epoch;
        workloadIps.UnionWith(_index.TakeChangedPodIps());
        var sidecarsChanged = _index.SidecarGeneration != _sidecarGeneration;
        _sidecarGeneration = _index.SidecarGeneration;
        TellWatchers(sidecarsChanged || firstApply ? [.. _watches.Keys] : workloadIps);
        TellGatewayWatchers();
        TellSidecarWatchers(sidecarsChanged || firstApply);
        _sequence = changes.Sequence;
        var (pushed, hostnamesChanged) = await PushAsync(clusterId, touched);

        var warnings = _index.Warnings;
        var warningsChanged = !ReferenceEquals(warnings, warningsBefore) && !state.State.Warnings.SequenceEqual(warnings);
        if (warningsChanged)
        {
            // Each warning is logged once, when it first appears, not on every resync.
            var known = state.State.Warnings.ToHashSet();
            foreach (var warning in warnings.Where(w => !known.Contains(w)))
            {
                LogWarning(logger, clusterId, warning.Kind, warning.Namespace, warning.Name, warning.Field, warning.Message);
            }

            state.State.Warnings = [.. warnings];
        }

        var rejectedChanged = changes.Rejected is { } rejected && !state.State.Rejected.SequenceEqual(rejected);
        if (rejectedChanged)
        {
            state.State.Rejected = [.. changes.Rejected!];
        }

        // Written at once when the set of hostnames, the rejections or the warnings changed: a
        // reactivated grain must know every hostname it contributes to, to take back those gone.
        // New hashes of known hostnames only save work after a reactivation (an out-of-date hash
        // costs one push of an unchanged input), so they are written a little later, together.
        if (hostnamesChanged || warningsChanged || rejectedChanged)
        {
            await WriteAsync();
        }
        else if (pushed)
        {
            _writeTimer ??= this.RegisterGrainTimer(static (grain, _) => grain.WriteAsync(), this,
                new GrainTimerCreationOptions { DueTime = s_hashWriteDelay, Period = Timeout.InfiniteTimeSpan });
        }

        LogApplied(logger, clusterId, changes.Full, changes.Count, _index.Count, touched.Count,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return true;
    }

    /// <summary>
    /// Recomputes the inputs of <paramref name="touched"/> (and of hostnames whose last update
    /// failed), pushes those whose hash changed, and hands their resources to the scope in one
    /// batch. Returns whether a stored hash changed, and whether a hostname was added or removed.
    /// </summary>
    private async Task<(bool Pushed, bool HostnamesChanged)> PushAsync(string clusterId, HashSet<string> touched)
    {
        touched.UnionWith(_retry);
        _retry.Clear();
        var hashes = state.State.InputHashes;
        var changes = new List<(string Host, ServiceInput? Input, string? Hash)>();
        foreach (var host in touched)
        {
            var input = _index.Input(host);
            var hash = input is null ? null : InputHash.Of(input);
            if (hashes.GetValueOrDefault(host) != hash)
            {
                changes.Add((host, input, hash));
            }
        }

        var updates = await Task.WhenAll(changes.Select(async change =>
        {
            try
            {
                var resources = await GrainFactory.GetGrain<IServiceGrain>(change.Host).UpdateClusterInputAsync(clusterId, change.Input);
                return (change, resources, (Exception?)null);
            }
            catch (Exception exception)
            {
                return (change, (ServiceResources?)null, exception);
            }
        }));

        var batch = new List<ServiceResources>(updates.Length);
        var hostnamesChanged = false;
        foreach (var (change, resources, error) in updates)
        {
            hostnamesChanged |= change.Hash is null || !hashes.ContainsKey(change.Host);
            if (error is not null || resources is null)
            {
                // Forget the hash, so that the retry pushes this hostname whatever it holds then.
                hashes.Remove(change.Host);
                _retry.Add(change.Host);
                LogServiceUpdateFailed(logger, error, clusterId, change.Host);
                continue;
            }

            if (change.Hash is null)
            {
                hashes.Remove(change.Host);
            }
            else
            {
                hashes[change.Host] = change.Hash;
            }

            batch.Add(resources);
        }

        // The first apply of this activation reaches the scope even when nothing changed, so a
        // scope activated empty (a restarted silo) learns that its mesh is known now.
        if (batch.Count > 0 || !_scopeTold)
        {
            // Every whole-mesh scope takes the same batch and keeps what its proxies need; each
            // sidecar scope takes the hostnames its proxies may see now or saw until now.
            // The whole-mesh scopes first: a scope that registers after the directory is read
            // below builds itself from the sidecars' whole-mesh scope, which then holds this batch.
            await Task.WhenAll(WholeMeshParts(batch, everyGrain: !_scopeTold).Select(p => GrainFactory.GetGrain<IScopeGrain>(p.Key).ApplyAsync(p.Batch)));
            var calls = new List<Task>();
            foreach (var scope in await GrainFactory.GetGrain<IScopeDirectoryGrain>(IScopeDirectoryGrain.Key).GetScopesAsync())
            {
                var visible = batch.Where(r => SeenBy(scope, r)).ToList();
                if (visible.Count > 0)
                {
                    calls.Add(GrainFactory.GetGrain<IScopeGrain>(scope.Scope).ApplyAsync(visible));
                }
            }

            await Task.WhenAll(calls);
            _scopeTold = true;
        }

        if (_retry.Count > 0)
        {
            _retryTimer ??= this.RegisterGrainTimer(RetryAsync, new GrainTimerCreationOptions { DueTime = s_retryDelay, Period = s_retryDelay });
        }

        return (changes.Count > 0, hostnamesChanged);
    }

    /// <summary>
    /// Which grains of the whole-mesh scopes take which part of <paramref name="batch"/>: each
    /// hostname's shard, and the sidecar listeners grain the listeners and routes of every
    /// hostname. Grains with nothing to take are left out unless <paramref name="everyGrain"/>
    /// (the first apply of this activation, which tells every shard, even an empty one, that
    /// its part of the mesh is known).
    /// </summary>
    internal static IEnumerable<(string Key, List<ServiceResources> Batch)> WholeMeshParts(IReadOnlyList<ServiceResources> batch, bool everyGrain)
    {
        var byShard = batch.ToLookup(r => ScopeNames.ShardOf(r.Hostname));
        foreach (var scope in s_sharedScopes)
        {
            for (var shard = 0; shard < ScopeNames.WholeMeshShards; shard++)
            {
                var part = byShard[shard].ToList();
                if (part.Count > 0 || everyGrain)
                {
                    yield return (ScopeNames.Shard(scope, shard), part);
                }
            }
        }

        if (batch.Count > 0 || everyGrain)
        {
            yield return (ScopeNames.SidecarListeners, batch.Select(r => ScopeComposer.PartOf(ScopeNames.SidecarListeners, r)).ToList());
        }
    }

    /// <summary>Whether the proxies of <paramref name="scope"/> may see the hostname of <paramref name="resources"/> at this revision or the one before.</summary>
    private bool SeenBy(RegisteredScope scope, ServiceResources resources) =>
        Scoping.ProxyVisibility.Sees(scope.Namespace, scope.Sidecar, resources.Hostname, resources.Visibility, scoping.Value)
        || Scoping.ProxyVisibility.Sees(scope.Namespace, scope.Sidecar, resources.Hostname, resources.PreviousVisibility, scoping.Value);

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        if (_retry.Count > 0 && (await PushAsync(this.GetPrimaryKeyString(), new HashSet<string>(StringComparer.Ordinal))).Pushed)
        {
            await WriteAsync();
        }

        if (_retry.Count == 0)
        {
            _retryTimer?.Dispose();
            _retryTimer = null;
        }
    }

    private async Task WriteAsync()
    {
        _writeTimer?.Dispose();
        _writeTimer = null;
        await Writer.WriteAsync();
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_writeTimer is not null)
        {
            await WriteAsync();
        }

        await Writer.FlushAsync(cancellationToken);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RejectedObject>> GetRejectedAsync() =>
        Task.FromResult<IReadOnlyList<RejectedObject>>(state.State.Rejected.ToList());

    /// <inheritdoc/>
    public Task<IReadOnlyList<ConfigWarning>> GetWarningsAsync() =>
        Task.FromResult<IReadOnlyList<ConfigWarning>>(state.State.Warnings
            .Concat(_patchProblems.Values.SelectMany(p => p).Distinct().Where(p => _index.EnvoyFilters.Any(f => f.Namespace == p.Namespace && f.Name == p.Name)))
            .ToList());

    /// <inheritdoc/>
    public Task ReportPatchProblemsAsync(string reporter, IReadOnlyList<ConfigWarning> problems)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(problems);
        var clusterId = this.GetPrimaryKeyString();
        var known = _patchProblems.Values.SelectMany(p => p).ToHashSet();
        foreach (var problem in problems.Where(p => !known.Contains(p)))
        {
            LogWarning(logger, clusterId, problem.Kind, problem.Namespace, problem.Name, problem.Field, problem.Message);
        }

        if (problems.Count == 0)
        {
            _patchProblems.Remove(reporter);
        }
        else if (_patchProblems.Count < MaxPatchReporters || _patchProblems.ContainsKey(reporter))
        {
            // Bounded: a scope reports at most the first 100 of its problems.
            _patchProblems[reporter] = problems.Take(100).ToList();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> GetHostnamesAsync() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.InputHashes.Keys.Order(StringComparer.Ordinal).ToList());

    /// <inheritdoc/>
    public Task<SecretLookup> GetSecretAsync(string ns, string name)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(name);
        return Task.FromResult(new SecretLookup(_epoch is not null, _index.SecretOf(ns, name)));
    }

    /// <inheritdoc/>
    public Task<WorkloadInputs?> WatchWorkloadAsync(string ip, IWorkloadGrain watcher)
    {
        ArgumentException.ThrowIfNullOrEmpty(ip);
        ArgumentNullException.ThrowIfNull(watcher);
        if (!_watches.TryGetValue(ip, out var watch))
        {
            watch = new Watch(_epoch is null ? null : InputsOf(ip));
            _watches.Add(ip, watch);
        }

        watch.Watchers.Add(watcher);
        return Task.FromResult(watch.Told);
    }

    /// <inheritdoc/>
    public Task UnwatchWorkloadAsync(string ip, IWorkloadGrain watcher)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (_watches.TryGetValue(ip, out var watch) && watch.Watchers.Remove(watcher) && watch.Watchers.Count == 0)
        {
            _watches.Remove(ip);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<GatewayInputs?> WatchGatewayAsync(IReadOnlyDictionary<string, string> labels, string? ns, IGatewayGrain watcher)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(watcher);
        var key = ScopeNames.Gateway(this.GetPrimaryKeyString(), labels, ns);
        var inputs = _epoch is null ? null : _index.GatewayInputsFor(labels, ns, scoping.Value.RootNamespace, scoping.Value.VirtualServiceExportTo);
        if (!_gatewayWatches.TryGetValue(key, out var watch))
        {
            watch = new GatewayWatch(labels, ns, inputs is null ? null : InputHash.Of(inputs));
            _gatewayWatches.Add(key, watch);
        }

        watch.Watchers.Add(watcher);
        return Task.FromResult(inputs);
    }

    /// <inheritdoc/>
    public Task UnwatchGatewayAsync(IReadOnlyDictionary<string, string> labels, string? ns, IGatewayGrain watcher)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var key = ScopeNames.Gateway(this.GetPrimaryKeyString(), labels, ns);
        if (_gatewayWatches.TryGetValue(key, out var watch) && watch.Watchers.Remove(watcher) && watch.Watchers.Count == 0)
        {
            _gatewayWatches.Remove(key);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Tells the gateway watchers whose inputs changed, when the change may have touched a
    /// Gateway, a VirtualService or a Service: one one-way call each. Gateway label sets are few
    /// (one per kind of gateway deployment), so each is recomputed whole.
    /// </summary>
    private void TellGatewayWatchers()
    {
        if (_gatewayWatches.Count == 0 || _index.GatewayGeneration == _gatewayGeneration)
        {
            return;
        }

        _gatewayGeneration = _index.GatewayGeneration;
        foreach (var watch in _gatewayWatches.Values)
        {
            var inputs = _index.GatewayInputsFor(watch.Labels, watch.Namespace, scoping.Value.RootNamespace, scoping.Value.VirtualServiceExportTo);
            var hash = InputHash.Of(inputs);
            if (hash == watch.Told)
            {
                continue;
            }

            watch.Told = hash;
            foreach (var watcher in watch.Watchers)
            {
                _ = watcher.UpdateAsync(inputs);
            }
        }
    }

    /// <inheritdoc/>
    public Task<SidecarChoice?> WatchSidecarScopeAsync(string scope, IScopeGrain watcher)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        if (ScopeNames.ParseSidecarScope(scope) is not { } parsed || parsed.MemberClusterId != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"'{scope}' does not name a sidecar scope of member cluster {this.GetPrimaryKeyString()}", nameof(scope));
        }

        // Sidecars and gateways are patched (proxyless clients are not); Sidecar resources do not
        // apply to gateways (Istio's DefaultSidecarScopeForGateway).
        var gateway = ScopeNames.IsRouterScope(scope);
        var patched = gateway || ScopeNames.IsSidecarScope(scope);
        var choice = _epoch is null ? null : SidecarChoiceOf(parsed.Namespace, parsed.SidecarName, parsed.EnvoyFilters, patched, gateway);
        if (!_sidecarWatches.TryGetValue(scope, out var watch))
        {
            watch = new SidecarWatch(parsed, choice is null ? null : InputHash.Of(choice)) { Patched = patched, Gateway = gateway };
            _sidecarWatches.Add(scope, watch);
        }

        watch.Watchers.Add(watcher);
        return Task.FromResult(choice);
    }

    /// <inheritdoc/>
    public Task UnwatchSidecarScopeAsync(string scope, IScopeGrain watcher)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (_sidecarWatches.TryGetValue(scope, out var watch) && watch.Watchers.Remove(watcher) && watch.Watchers.Count == 0)
        {
            _sidecarWatches.Remove(scope);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The Sidecar that applies to the scope of <paramref name="ns"/> and, when named, the
    /// workload-selecting Sidecar <paramref name="sidecarName"/> of that namespace (while it exists;
    /// its proxies move out once it is gone); else the namespace's own or the root namespace's.
    /// </summary>
    private SidecarChoice SidecarChoiceOf(string ns, string? sidecarName, IReadOnlyList<string> envoyFilters, bool patched, bool gateway)
    {
        var root = scoping.Value.RootNamespace;
        var filters = patched ? _index.EnvoyFiltersOf(ns, envoyFilters, root) : null;
        if (gateway)
        {
            return new SidecarChoice(null, filters);
        }

        if (sidecarName is not null && _index.SidecarsIn(ns).FirstOrDefault(s => s.Name == sidecarName && s.WorkloadSelector is not null) is { } named)
        {
            return new SidecarChoice(named, filters);
        }

        var wide = _index.SidecarsIn(ns).Concat(ns == root ? [] : _index.SidecarsIn(root)).Where(s => s.WorkloadSelector is null);
        return new SidecarChoice(Scoping.ProxyVisibility.SelectSidecar(ns, s_noLabels, wide, root), filters);
    }

    private static readonly IReadOnlyDictionary<string, string> s_noLabels = new Dictionary<string, string>();

    /// <summary>
    /// What the workload at <paramref name="ip"/> serves, and the sidecar scope its pod belongs in
    /// (from the pod's namespace and labels and this cluster's Sidecars).
    /// </summary>
    private WorkloadInputs InputsOf(string ip)
    {
        var inputs = _workloads.InputsOf(ip);
        if (_index.PodAt(ip) is not { } pod)
        {
            return inputs;
        }

        var root = scoping.Value.RootNamespace;
        var sidecar = _index.SidecarFor(pod.Namespace, pod.Labels, root);
        var selecting = sidecar is { WorkloadSelector: not null } && sidecar.Namespace == pod.Namespace ? sidecar.Name : null;
        var (filters, selectingFilters) = _index.EnvoyFiltersFor(pod.Namespace, pod.Labels, root);
        if (sidecar is { Ingress.Count: > 0 })
        {
            // A Sidecar's ingress listeners are the whole inbound side, as in Istio: the Services' ports give way.
            inputs = inputs with
            {
                Ports = sidecar.Ingress
                    .Select(i => new WorkloadPort(i.Port.Number, MeshProtocols.Infer(null, i.Port.Protocol), i.DefaultEndpoint ?? $"0.0.0.0:{i.Port.Number}"))
                    .ToList(),
            };
        }

        // Mutual TLS on the inbound side, from the PeerAuthentications that apply to the pod.
        var mtls = _index.MtlsOf(pod);
        return inputs with
        {
            Ports = inputs.Ports.Select(p => p with { Mtls = Security.PeerAuthentications.Served(mtls.ModeFor(p.Port), pod.Labels) }).ToList(),
            PassthroughMtls = Security.PeerAuthentications.Served(mtls.Mode, pod.Labels),
            AuthorizationPolicies = _index.AuthorizationPoliciesFor(pod.Namespace, pod.Labels) is { Count: > 0 } policies ? policies : null,
            SidecarScope = ScopeNames.SidecarScope(this.GetPrimaryKeyString(), pod.Namespace, selecting, selectingFilters),
            EnvoyFilters = filters.Count > 0 ? filters : null,
        };
    }

    /// <summary>Tells the sidecar scopes whose Sidecar changed, when <paramref name="changed"/>: one one-way call each.</summary>
    private void TellSidecarWatchers(bool changed)
    {
        if (!changed || _sidecarWatches.Count == 0)
        {
            return;
        }

        foreach (var watch in _sidecarWatches.Values)
        {
            var (_, ns, name, filters) = watch.Scope;
            var choice = SidecarChoiceOf(ns, name, filters, watch.Patched, watch.Gateway);
            var hash = InputHash.Of(choice);
            if (hash == watch.Told)
            {
                continue;
            }

            watch.Told = hash;
            foreach (var watcher in watch.Watchers)
            {
                _ = watcher.SetSidecarAsync(choice);
            }
        }
    }

    /// <summary>Tells the watchers of <paramref name="ips"/> whose workloads changed: one one-way call each.</summary>
    private void TellWatchers(HashSet<string> ips)
    {
        if (_watches.Count == 0)
        {
            return;
        }

        foreach (var ip in ips)
        {
            if (!_watches.TryGetValue(ip, out var watch))
            {
                continue;
            }

            var inputs = InputsOf(ip);
            if (inputs.SameAs(watch.Told))
            {
                continue;
            }

            watch.Told = inputs;
            foreach (var watcher in watch.Watchers)
            {
                _ = watcher.UpdateAsync(inputs);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug,
        Message = "Cluster {ClusterId} applied {Changes} object changes (full: {Full}), holds {Objects} objects; {Touched} hostnames recomputed in {ElapsedMs:0.0} ms")]
    private static partial void LogApplied(ILogger logger, string clusterId, bool full, int changes, int objects, int touched, double elapsedMs);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information,
        Message = "Cluster {ClusterId}: change {Sequence} does not follow the last applied ({Last}; holds nothing: {Empty}); asking its source for everything")]
    private static partial void LogOutOfSequence(ILogger logger, string clusterId, long sequence, long last, bool empty);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: {Kind} {Namespace}/{Name} {Field}: {Message}")]
    private static partial void LogWarning(ILogger logger, string clusterId, string kind, string @namespace, string name, string field, string message);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Cluster {ClusterId} could not update hostname {Host}; it is retried on the next change")]
    private static partial void LogServiceUpdateFailed(ILogger logger, Exception? exception, string clusterId, string host);

    private sealed class GatewayWatch(IReadOnlyDictionary<string, string> labels, string? ns, string? told)
    {
        public IReadOnlyDictionary<string, string> Labels { get; } = labels;

        public string? Namespace { get; } = ns;

        public string? Told { get; set; } = told;

        public HashSet<IGatewayGrain> Watchers { get; } = [];
    }

    private sealed class SidecarWatch((string MemberClusterId, string Namespace, string? SidecarName, IReadOnlyList<string> EnvoyFilters) scope, string? told)
    {
        public (string MemberClusterId, string Namespace, string? SidecarName, IReadOnlyList<string> EnvoyFilters) Scope { get; } = scope;

        public bool Patched { get; init; }

        public bool Gateway { get; init; }

        public string? Told { get; set; } = told;

        public HashSet<IScopeGrain> Watchers { get; } = [];
    }

    private sealed class Watch(WorkloadInputs? told)
    {
        public WorkloadInputs? Told { get; set; } = told;

        public HashSet<IWorkloadGrain> Watchers { get; } = [];
    }
}
