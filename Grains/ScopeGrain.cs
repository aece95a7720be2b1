using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The resources one scope of proxies sees. Frontends subscribe as observers and get one
/// <see cref="ScopeUpdate"/> per change batch holding only the resources whose bytes changed;
/// a frontend that missed one (its epoch does not match) fetches the snapshot again.
/// Observers are one-way and expire unless renewed, so a dead frontend costs nothing.
/// Each activation is a new generation: it rebuilds its resources from the ServiceGrains of the
/// hostnames it persisted, and frontends, seeing a new generation, resync.
/// A whole-mesh scope is several of these grains, none holding the whole mesh
/// (<see cref="ScopeNames.GrainsOf"/>): each shard the hostnames that fall in it, and for the
/// sidecar scope one more grain (<see cref="ScopeNames.SidecarListeners"/>) the listeners and
/// per-port routes, which combine hostnames of every shard; frontends serve their union.
/// A sidecar scope (<see cref="ScopeNames.SidecarScope"/>) serves part of the mesh: it registers
/// with the <see cref="IScopeDirectoryGrain"/> so that member clusters hand it their batches,
/// starts from the hostnames of the whole-mesh sidecar scope's shards, watches its member cluster for the
/// Sidecar that applies, and composes only what its proxies may see (<see cref="SidecarScopeView"/>).
/// </summary>
public sealed partial class ScopeGrain : Grain, IScopeGrain
{
    /// <summary>How long a frontend's subscription lives without renewal.</summary>
    public static readonly TimeSpan SubscriptionLifetime = ScopeFeed.SubscriptionLifetime;

    private readonly IPersistentState<ScopeGrainState> _state;
    private readonly StateWriter<ScopeGrainState> _writer;
    private readonly ILogger<ScopeGrain> _logger;
    private readonly MeshTrafficOptions _traffic;
    private readonly MeshScopingOptions _scoping;
    private readonly Dictionary<string, ServiceResources> _services = new(StringComparer.Ordinal);

    // Snapshots frontends are paging through, by epoch (see GetSnapshotPageAsync).
    private readonly Dictionary<long, List<XdsResource>> _pages = [];
    private ScopeFeed? _feed;
    private ScopeComposer? _composer;
    private bool _loaded;

    // A sidecar scope's view, its member cluster, whether it knows its Sidecar and has the whole
    // mesh's hostnames, and the timer that fills in what it lacks and renews its registrations.
    private SidecarScopeView? _view;
    private string? _memberClusterId;
    private bool _sidecarKnown;
    private bool _catalogueLoaded;
    private IGrainTimer? _loadTimer;
    private long _loadStarted;

    /// <summary>
    /// How long a sidecar scope waits for its member cluster to say which Sidecar applies before
    /// it serves as if none did (a proxy naming a member cluster this mesh does not read).
    /// </summary>
    public static readonly TimeSpan SidecarWaitLimit = TimeSpan.FromSeconds(3);

    /// <summary>Creates the grain.</summary>
    public ScopeGrain(
        [PersistentState("scope", GrainStorage.Mesh)] IPersistentState<ScopeGrainState> state,
        IOptions<MeshTrafficOptions> traffic,
        IOptions<MeshScopingOptions> scoping,
        ILogger<ScopeGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        ArgumentNullException.ThrowIfNull(scoping);
        _state = state;
        _traffic = traffic.Value;
        _scoping = scoping.Value;
        _logger = logger;
        _writer = new StateWriter<ScopeGrainState>(state, logger, this.GetPrimaryKeyString);
    }

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainMetrics.Scope(+1);
        var scope = this.GetPrimaryKeyString();
        _feed = new ScopeFeed(scope, _logger);
        if (ScopeNames.ParseSidecarScope(scope) is { } sidecarScope)
        {
            var kind = ScopeNames.IsSidecarScope(scope) ? ScopeNames.Sidecar : ScopeNames.IsRouterScope(scope) ? ScopeNames.Router : ScopeNames.Default;
            await ActivateSidecarScopeAsync(sidecarScope.MemberClusterId, sidecarScope.Namespace, kind);
            await TellPreviousSubscribersAsync();
            return;
        }

        _composer = ScopeComposer.For(scope, _traffic.RegistryOnly);
        var rebuilt = await Task.WhenAll(_state.State.Hostnames.Select(h => GrainFactory.GetGrain<IServiceGrain>(h).GetResourcesAsync()));
        foreach (var resources in rebuilt.Where(r => r.Resources.Count > 0).Select(r => ScopeComposer.PartOf(scope, r)))
        {
            _services[resources.Hostname] = resources;
            _composer.Replace(resources.Hostname, null, resources.Resources);
        }

        _composer.TakeChanges();
        LogConflicts(scope);

        // A shard that holds no hostname is loaded once told so: it persisted that.
        _loaded = _state.State.Loaded || _state.State.Hostnames.Count > 0;

        LogActivated(_logger, scope, _feed.Generation, _services.Count);
        await TellPreviousSubscribersAsync();
    }

    /// <inheritdoc/>
    public async Task ApplyAsync(IReadOnlyList<ServiceResources> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (_view is not null)
        {
            foreach (var update in services)
            {
                _view.Apply(update);
            }

            await PublishViewAsync(_view.TakeChanges());
            return;
        }

        var hostnamesChanged = false;
        var key = this.GetPrimaryKeyString();
        foreach (var update in services.Select(s => ScopeComposer.PartOf(key, s)))
        {
            var old = _services.GetValueOrDefault(update.Hostname);
            if (old is not null && old.Revision >= update.Revision)
            {
                // A newer revision of this hostname already arrived through another caller.
                continue;
            }

            _composer!.Replace(update.Hostname, old?.Resources, update.Resources);
            if (update.Resources.Count == 0)
            {
                hostnamesChanged |= _services.Remove(update.Hostname);
            }
            else
            {
                hostnamesChanged |= old is null;
                _services[update.Hostname] = update;
            }
        }

        var (upserted, removed) = _composer!.TakeChanges();
        LogConflicts(key);

        // The first apply since activation makes the scope loaded, even an empty one (a mesh
        // that declares nothing, a shard no hostname falls in); subscribers learn it from the
        // epoch moving on.
        var becameLoaded = !_loaded;
        _loaded = true;
        if (upserted.Count == 0 && removed.Count == 0 && !becameLoaded)
        {
            return;
        }

        // Compared only when the set may have changed: an endpoint change costs no pass over the mesh.
        if ((hostnamesChanged && !_state.State.Hostnames.SetEquals(_services.Keys)) || !_state.State.Loaded)
        {
            _state.State.Hostnames = new HashSet<string>(_services.Keys, StringComparer.Ordinal);
            _state.State.Loaded = true;
            await _writer.WriteAsync();
        }

        // One-way calls: each task completes once sent, so nothing waits on a frontend.
        var change = await _feed!.PublishAsync(upserted, removed);
        LogChanged(_logger, change.Scope, change.ToEpoch, upserted.Count, removed.Count, _feed.Subscribers);
    }

    /// <inheritdoc/>
    public Task<ScopeSnapshotPage?> GetSnapshotPageAsync(Guid generation, long epoch, int start)
    {
        if (generation != _feed!.Generation)
        {
            return Task.FromResult<ScopeSnapshotPage?>(null);
        }

        // The resources at the epoch asked for: kept while frontends page through them, so a change
        // meanwhile does not cut a snapshot in two (the two latest epochs asked for are kept).
        if (!_pages.TryGetValue(epoch, out var all))
        {
            if (epoch != _feed.Epoch || start != 0)
            {
                return Task.FromResult<ScopeSnapshotPage?>(null);
            }

            all = (_view?.All ?? Composer.All).ToList();
            _pages[epoch] = all;
            foreach (var old in _pages.Keys.Order().SkipLast(2).ToList())
            {
                _pages.Remove(old);
            }
        }

        var page = new List<XdsResource>();
        long bytes = 0;
        var index = Math.Max(0, start);
        while (index < all.Count && (page.Count == 0 || bytes + all[index].Payload.Length <= IScopeGrain.ScopeSnapshotPageBytes))
        {
            bytes += all[index].Payload.Length;
            page.Add(all[index]);
            index++;
        }

        return Task.FromResult<ScopeSnapshotPage?>(new ScopeSnapshotPage(page, index < all.Count ? index : null));
    }

    /// <inheritdoc/>
    public Task<int> GetHostnameCountAsync() => Task.FromResult(_view?.ShownCount ?? _state.State.Hostnames.Count);

    /// <inheritdoc/>
    public Task<ScopeServices> GetServicesAsync() =>
        Task.FromResult(new ScopeServices(_loaded && _view is null, _services.Values.ToList()));

    /// <inheritdoc/>
    public async Task SetSidecarAsync(SidecarChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        if (_view is null || (_sidecarKnown && Registry.InputHash.Of(choice) == _view.ChoiceHash))
        {
            return;
        }

        _sidecarKnown = true;
        await ResetSidecarScopeAsync(choice);
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GrainMetrics.Scope(-1);
        if (_view is not null && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            var scope = this.GetPrimaryKeyString();
            try
            {
                await GrainFactory.GetGrain<IScopeDirectoryGrain>(IScopeDirectoryGrain.Key).UnregisterAsync(scope);
                await GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).UnwatchSidecarScopeAsync(scope, this.AsReference<IScopeGrain>());
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Registrations expire and watches go with their grain: nothing is lost.
                LogUnregisterFailed(_logger, exception, scope);
            }
        }

        await _writer.FlushAsync(cancellationToken);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task ActivateSidecarScopeAsync(string memberClusterId, string proxyNamespace, string kind)
    {
        _memberClusterId = memberClusterId;
        _loadStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        _view = new SidecarScopeView(proxyNamespace, _traffic.RegistryOnly, _scoping, kind);
        await LoadSidecarScopeAsync();

        // Until it knows its Sidecar and the mesh, it asks again every second; then it renews its
        // registration and its watch every minute.
        if (!_loaded)
        {
            _loadTimer = this.RegisterGrainTimer(static (grain, _) => grain.LoadSidecarScopeAsync(), this,
                new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { KeepAlive = false });
        }

        this.RegisterGrainTimer(static (grain, _) => grain.RenewSidecarScopeAsync(), this,
            new GrainTimerCreationOptions(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)) { KeepAlive = false });
        LogActivated(_logger, this.GetPrimaryKeyString(), _feed!.Generation, _view.ShownCount);
    }

    /// <summary>
    /// Learns the Sidecar that applies (when its member cluster knows it) and builds the scope
    /// from the whole mesh, until both are known. Once loaded, the scope builds itself from the
    /// whole mesh once more a little later: a batch a member cluster sent to the whole-mesh scope
    /// just before this scope registered reaches it that way. Then it holds only what it shows.
    /// </summary>
    private async Task LoadSidecarScopeAsync()
    {
        if (!_sidecarKnown
            && await GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).WatchSidecarScopeAsync(this.GetPrimaryKeyString(), this.AsReference<IScopeGrain>()) is { } choice)
        {
            _sidecarKnown = true;
            await ResetSidecarScopeAsync(choice);
        }
        else
        {
            if (!_sidecarKnown && _state.State.Choice is { } stored)
            {
                // Its member cluster has not heard from its source since a restart: serve as before until it does.
                _sidecarKnown = true;
                await ResetSidecarScopeAsync(stored);
            }
            else
            {
                if (!_sidecarKnown && System.Diagnostics.Stopwatch.GetElapsedTime(_loadStarted) > SidecarWaitLimit)
                {
                    // It may be told later; meanwhile its proxies are served as Istio serves those no Sidecar selects.
                    _sidecarKnown = true;
                    LogSidecarUnknown(_logger, this.GetPrimaryKeyString(), _memberClusterId!);
                }

                await ResetSidecarScopeAsync(_view!.Choice);
            }
        }

        if (_loaded)
        {
            _loadTimer?.Dispose();
            _loadTimer = this.RegisterGrainTimer(static (grain, _) => grain.ResyncSidecarScopeAsync(), this,
                new GrainTimerCreationOptions(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan) { KeepAlive = false });
        }
    }

    private async Task ResyncSidecarScopeAsync()
    {
        _loadTimer?.Dispose();
        _loadTimer = null;
        await ResetSidecarScopeAsync(_view!.Choice);
        _view.EndLoading();
    }

    /// <summary>Renews the registration and the Sidecar watch; a Sidecar that changed unseen (a lost one-way call) applies now.</summary>
    private async Task RenewSidecarScopeAsync()
    {
        await RegisterAsync();
        if (await GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).WatchSidecarScopeAsync(this.GetPrimaryKeyString(), this.AsReference<IScopeGrain>()) is { } choice)
        {
            await SetSidecarAsync(choice);
        }
    }

    /// <summary>
    /// Registers the scope with <paramref name="sidecar"/> (so member clusters filter for it from
    /// now on), then builds it from the hostnames of the whole-mesh sidecar scope's shards and publishes the difference.
    /// </summary>
    private async Task ResetSidecarScopeAsync(SidecarChoice choice)
    {
        if (_sidecarKnown && Registry.InputHash.Of(choice) != Registry.InputHash.Of(_state.State.Choice))
        {
            _state.State.Choice = choice;
            await _writer.WriteAsync();
        }

        await RegisterAsync(choice.Sidecar);
        var shards = await Task.WhenAll(ScopeNames.ShardsOf(ScopeNames.Sidecar).Select(k => GrainFactory.GetGrain<IScopeGrain>(k).GetServicesAsync()));
        _catalogueLoaded |= shards.All(s => s.Loaded);
        await PublishViewAsync(_view!.Reset(choice, shards.SelectMany(s => s.Services).ToList()));
    }

    private Task RegisterAsync() => RegisterAsync(_view!.Sidecar);

    private Task RegisterAsync(SidecarSpec? sidecar) =>
        GrainFactory.GetGrain<IScopeDirectoryGrain>(IScopeDirectoryGrain.Key).RegisterAsync(new RegisteredScope(this.GetPrimaryKeyString(), _view!.Namespace, sidecar));

    /// <summary>Publishes a sidecar scope's change, and that it is loaded once it knows its Sidecar and the mesh.</summary>
    private async Task PublishViewAsync((List<XdsResource> Upserted, List<ResourceKey> Removed) change)
    {
        LogConflicts(this.GetPrimaryKeyString());
        if (_view!.TakeProblems() is { } problems)
        {
            // Told to the member cluster whose EnvoyFilters they are: /debug/config lists them there.
            var warnings = problems.Select(p => p.ToWarning()).ToList();
            _ = GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).ReportPatchProblemsAsync(this.GetPrimaryKeyString(), warnings);
        }

        var becameLoaded = !_loaded && _sidecarKnown && _catalogueLoaded;
        _loaded |= becameLoaded;
        if (change.Upserted.Count == 0 && change.Removed.Count == 0 && !becameLoaded)
        {
            return;
        }

        var published = await _feed!.PublishAsync(change.Upserted, change.Removed);
        LogChanged(_logger, published.Scope, published.ToEpoch, change.Upserted.Count, change.Removed.Count, _feed.Subscribers);
    }

    /// <inheritdoc/>
    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(Snapshot(includeResources: true));

    /// <inheritdoc/>
    public async Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Subscribe(observer);
        if (_state.State.Observers.Add(observer))
        {
            // Kept, so that a later activation can tell this frontend at once (renewals write nothing).
            await _writer.WriteAsync();
        }

        return Snapshot(includeResources);
    }

    /// <inheritdoc/>
    public async Task UnsubscribeAsync(IScopeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Unsubscribe(observer);
        if (_state.State.Observers.Remove(observer))
        {
            await _writer.WriteAsync();
        }
    }

    /// <summary>
    /// Tells the frontends the last activation had that this one is a new generation (one-way; a
    /// frontend that is gone drops it), so they resync now; those alive subscribe again, which
    /// keeps them, and the rest are forgotten.
    /// </summary>
    private async Task TellPreviousSubscribersAsync()
    {
        if (_state.State.Observers.Count == 0)
        {
            return;
        }

        var moved = new ScopeUpdate(this.GetPrimaryKeyString(), _feed!.Generation, -1, 0, [], []);
        foreach (var observer in _state.State.Observers)
        {
            _ = observer.OnUpdateAsync(moved);
        }

        LogToldSubscribers(_logger, this.GetPrimaryKeyString(), _state.State.Observers.Count);
        _state.State.Observers = [];
        await _writer.WriteAsync();
    }

    private void LogConflicts(string scope)
    {
        foreach (var conflict in Composer.TakeConflicts())
        {
            GrainMetrics.Conflict();
            LogListenerConflict(_logger, scope, conflict.Listener, conflict.Served, string.Join(", ", conflict.Shadowed));
        }
    }

    private ScopeComposer Composer => _view?.Composer ?? _composer!;

    private ScopeSnapshot Snapshot(bool includeResources) => _feed!.Snapshot(() => _view?.All ?? Composer.All, includeResources, _loaded);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning,
        Message = "Scope {Scope}: member cluster {MemberClusterId} has not said which Sidecar applies; its proxies are served as if none did until it does")]
    private static partial void LogSidecarUnknown(ILogger logger, string scope, string memberClusterId);

    [LoggerMessage(EventId = 203, Level = LogLevel.Debug, Message = "Scope {Scope} could not end its registration or its Sidecar watch")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, string scope);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Scope {Scope}: told the {Count} frontends subscribed to its last activation that it is a new generation")]
    private static partial void LogToldSubscribers(ILogger logger, string scope, int count);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Scope {Scope} activated as generation {Generation} with {Hostnames} hostnames rebuilt from their ServiceGrains")]
    private static partial void LogActivated(ILogger logger, string scope, Guid generation, int hostnames);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning,
        Message = "Scope {Scope}: listener {Listener} is served from {Served}; the listener of that name of {Shadowed} is not (two services share a cluster IP and port, or two headless services an endpoint address and port)")]
    private static partial void LogListenerConflict(ILogger logger, string scope, string listener, string served, string shadowed);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Scope {Scope} epoch {Epoch}: {Upserted} resources changed, {Removed} removed, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, long epoch, int upserted, int removed, int observers);
}
