using Mesh.Orleans.Grains.Interfaces;
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
/// </summary>
public sealed partial class ScopeGrain : Grain, IScopeGrain
{
    /// <summary>How long a frontend's subscription lives without renewal.</summary>
    public static readonly TimeSpan SubscriptionLifetime = ScopeFeed.SubscriptionLifetime;

    private readonly IPersistentState<ScopeGrainState> _state;
    private readonly ILogger<ScopeGrain> _logger;
    private readonly MeshTrafficOptions _traffic;
    private readonly Dictionary<string, ServiceResources> _services = new(StringComparer.Ordinal);
    private ScopeFeed? _feed;
    private ScopeComposer? _composer;
    private bool _loaded;

    /// <summary>Creates the grain.</summary>
    public ScopeGrain(
        [PersistentState("scope", GrainStorage.Mesh)] IPersistentState<ScopeGrainState> state,
        IOptions<MeshTrafficOptions> traffic,
        ILogger<ScopeGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        _state = state;
        _traffic = traffic.Value;
        _logger = logger;
    }

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var scope = this.GetPrimaryKeyString();
        _feed = new ScopeFeed(scope, _logger);
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
    public Task<int> GetHostnameCountAsync() => Task.FromResult(_state.State.Hostnames.Count);

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
        foreach (var conflict in _composer!.TakeConflicts())
        {
            LogListenerConflict(_logger, scope, conflict.Listener, conflict.Served, string.Join(", ", conflict.Shadowed));
        }
    }

    private ScopeSnapshot Snapshot(bool includeResources) => _feed!.Snapshot(() => _composer!.All, includeResources, _loaded);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Scope {Scope} activated as generation {Generation} with {Hostnames} hostnames rebuilt from their ServiceGrains")]
    private static partial void LogActivated(ILogger logger, string scope, Guid generation, int hostnames);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning,
        Message = "Scope {Scope}: listener {Listener} is served from {Served}; the listener of that name of {Shadowed} is not (two services share a cluster IP and port, or two headless services an endpoint address and port)")]
    private static partial void LogListenerConflict(ILogger logger, string scope, string listener, string served, string shadowed);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Scope {Scope} epoch {Epoch}: {Upserted} resources changed, {Removed} removed, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, long epoch, int upserted, int removed, int observers);
}
