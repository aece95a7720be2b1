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
/// A sidecar scope (<see cref="ScopeNames.SidecarScope"/>) serves part of the mesh: it registers
/// with the <see cref="IScopeDirectoryGrain"/> so that member clusters hand it their batches,
/// starts from the whole-mesh sidecar scope's hostnames, watches its member cluster for the
/// Sidecar that applies, and composes only what its proxies may see (<see cref="SidecarScopeView"/>).
/// </summary>
public sealed partial class ScopeGrain : Grain, IScopeGrain
{
    /// <summary>How long a frontend's subscription lives without renewal.</summary>
    public static readonly TimeSpan SubscriptionLifetime = ScopeFeed.SubscriptionLifetime;

    private readonly IPersistentState<ScopeGrainState> _state;
    private readonly ILogger<ScopeGrain> _logger;
    private readonly MeshTrafficOptions _traffic;
    private readonly MeshScopingOptions _scoping;
    private readonly Dictionary<string, ServiceResources> _services = new(StringComparer.Ordinal);
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
    }

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var scope = this.GetPrimaryKeyString();
        _feed = new ScopeFeed(scope, _logger);
        if (ScopeNames.ParseSidecarScope(scope) is { } sidecarScope)
        {
            await ActivateSidecarScopeAsync(sidecarScope.MemberClusterId, sidecarScope.Namespace);
            return;
        }

        _composer = ScopeComposer.For(scope, _traffic.RegistryOnly);
        var rebuilt = await Task.WhenAll(_state.State.Hostnames.Select(h => GrainFactory.GetGrain<IServiceGrain>(h).GetResourcesAsync()));
        foreach (var resources in rebuilt.Where(r => r.Resources.Count > 0))
        {
            _services[resources.Hostname] = resources;
            _composer.Replace(resources.Hostname, null, resources.Resources);
        }

        _composer.TakeChanges();
        LogConflicts(scope);
        _loaded = _state.State.Hostnames.Count > 0;

        LogActivated(_logger, scope, _feed.Generation, _services.Count);
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

            await PublishViewAsync(_view.Composer.TakeChanges());
            return;
        }

        var hostnamesChanged = false;
        foreach (var update in services)
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
        LogConflicts(this.GetPrimaryKeyString());

        // The first apply since activation makes the scope loaded, even an empty one (a mesh
        // that declares nothing); subscribers learn it from the epoch moving on.
        var becameLoaded = !_loaded;
        _loaded = true;
        if (upserted.Count == 0 && removed.Count == 0 && !becameLoaded)
        {
            return;
        }

        // Compared only when the set may have changed: an endpoint change costs no pass over the mesh.
        if (hostnamesChanged && !_state.State.Hostnames.SetEquals(_services.Keys))
        {
            _state.State.Hostnames = new HashSet<string>(_services.Keys, StringComparer.Ordinal);
            await _state.WriteStateAsync();
        }

        // One-way calls: each task completes once sent, so nothing waits on a frontend.
        var change = await _feed!.PublishAsync(upserted, removed);
        LogChanged(_logger, change.Scope, change.ToEpoch, upserted.Count, removed.Count, _feed.Subscribers);
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
        if (_view is null)
        {
            return;
        }

        _sidecarKnown = true;
        await PublishViewAsync(_view.SetSidecar(choice.Sidecar));
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
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

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task ActivateSidecarScopeAsync(string memberClusterId, string proxyNamespace)
    {
        _memberClusterId = memberClusterId;
        _view = new SidecarScopeView(proxyNamespace, _traffic.RegistryOnly, _scoping);
        await LoadSidecarScopeAsync();

        // Until it knows its Sidecar and the mesh, it asks every second; then it renews its
        // registration and watch every minute. A batch that raced its registration (sent to the
        // whole-mesh scope before, applied there after it read it) is caught by reading it once more.
        _loadTimer = this.RegisterGrainTimer(static (grain, _) => grain.LoadSidecarScopeAsync(), this,
            new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { KeepAlive = false });
        this.RegisterGrainTimer(static (grain, _) => grain.RenewSidecarScopeAsync(), this,
            new GrainTimerCreationOptions(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)) { KeepAlive = false });
        LogActivated(_logger, this.GetPrimaryKeyString(), _feed!.Generation, _view.ShownCount);
    }

    /// <summary>Registers, watches the Sidecar and reads the whole mesh's hostnames, as far as not done yet.</summary>
    private async Task LoadSidecarScopeAsync()
    {
        var scope = this.GetPrimaryKeyString();
        await GrainFactory.GetGrain<IScopeDirectoryGrain>(IScopeDirectoryGrain.Key).RegisterAsync(scope);
        var changes = new List<(List<XdsResource> Upserted, List<ResourceKey> Removed)>();
        if (!_sidecarKnown
            && await GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).WatchSidecarScopeAsync(scope, this.AsReference<IScopeGrain>()) is { } choice)
        {
            _sidecarKnown = true;
            changes.Add(_view!.SetSidecar(choice.Sidecar));
        }

        if (!_catalogueLoaded)
        {
            _catalogueLoaded = await ReadCatalogueAsync();
        }

        changes.Add(_view!.Composer.TakeChanges());
        if (_sidecarKnown && _catalogueLoaded)
        {
            _loadTimer?.Dispose();
            _loadTimer = null;
        }

        await PublishViewAsync(Merge(changes));
    }

    private async Task RenewSidecarScopeAsync()
    {
        var scope = this.GetPrimaryKeyString();
        await GrainFactory.GetGrain<IScopeDirectoryGrain>(IScopeDirectoryGrain.Key).RegisterAsync(scope);
        var changes = new List<(List<XdsResource> Upserted, List<ResourceKey> Removed)>();
        if (await GrainFactory.GetGrain<IClusterGrain>(_memberClusterId!).WatchSidecarScopeAsync(scope, this.AsReference<IScopeGrain>()) is { } choice)
        {
            _sidecarKnown = true;
            changes.Add(_view!.SetSidecar(choice.Sidecar));
        }

        await ReadCatalogueAsync();
        changes.Add(_view!.Composer.TakeChanges());
        await PublishViewAsync(Merge(changes));
    }

    /// <summary>Applies every hostname the whole-mesh sidecar scope holds (older revisions are skipped); returns whether that scope is loaded.</summary>
    private async Task<bool> ReadCatalogueAsync()
    {
        var catalogue = await GrainFactory.GetGrain<IScopeGrain>(ScopeNames.Sidecar).GetServicesAsync();
        foreach (var services in catalogue.Services)
        {
            _view!.Apply(services);
        }

        return catalogue.Loaded;
    }

    /// <summary>Two changes one after the other as one: the later version of each key, and what is gone at the end.</summary>
    private static (List<XdsResource> Upserted, List<ResourceKey> Removed) Merge(List<(List<XdsResource> Upserted, List<ResourceKey> Removed)> changes)
    {
        var upserted = new Dictionary<ResourceKey, XdsResource>();
        var removed = new HashSet<ResourceKey>();
        foreach (var (up, gone) in changes)
        {
            foreach (var resource in up)
            {
                upserted[resource.Key] = resource;
                removed.Remove(resource.Key);
            }

            foreach (var key in gone)
            {
                upserted.Remove(key);
                removed.Add(key);
            }
        }

        return (upserted.Values.ToList(), removed.ToList());
    }

    /// <summary>Publishes a sidecar scope's change, and that it is loaded once it knows its Sidecar and the mesh.</summary>
    private async Task PublishViewAsync((List<XdsResource> Upserted, List<ResourceKey> Removed) change)
    {
        LogConflicts(this.GetPrimaryKeyString());
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
    public Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Subscribe(observer);
        return Task.FromResult(Snapshot(includeResources));
    }

    /// <inheritdoc/>
    public Task UnsubscribeAsync(IScopeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private void LogConflicts(string scope)
    {
        foreach (var conflict in Composer.TakeConflicts())
        {
            LogListenerConflict(_logger, scope, conflict.Listener, conflict.Served, string.Join(", ", conflict.Shadowed));
        }
    }

    private ScopeComposer Composer => _view?.Composer ?? _composer!;

    private ScopeSnapshot Snapshot(bool includeResources) => _feed!.Snapshot(() => Composer.All, includeResources, _loaded);

    [LoggerMessage(EventId = 203, Level = LogLevel.Debug, Message = "Scope {Scope} could not end its registration or its Sidecar watch")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, string scope);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Scope {Scope} activated as generation {Generation} with {Hostnames} hostnames rebuilt from their ServiceGrains")]
    private static partial void LogActivated(ILogger logger, string scope, Guid generation, int hostnames);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning,
        Message = "Scope {Scope}: listener {Listener} is served from {Served}; the listener of that name of {Shadowed} is not (two services share a cluster IP and port, or two headless services an endpoint address and port)")]
    private static partial void LogListenerConflict(ILogger logger, string scope, string listener, string served, string shadowed);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Scope {Scope} epoch {Epoch}: {Upserted} resources changed, {Removed} removed, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, long epoch, int upserted, int removed, int observers);
}
