using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Utilities;

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
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromMinutes(2);

    private readonly IPersistentState<ScopeGrainState> _state;
    private readonly ILogger<ScopeGrain> _logger;
    private readonly ObserverManager<IScopeObserver> _observers;
    private readonly Dictionary<string, ServiceResources> _services = new(StringComparer.Ordinal);
    private Guid _generation;
    private long _epoch;
    private bool _loaded;

    /// <summary>Creates the grain.</summary>
    public ScopeGrain(
        [PersistentState("scope", GrainStorage.Mesh)] IPersistentState<ScopeGrainState> state,
        ILogger<ScopeGrain> logger)
    {
        _state = state;
        _logger = logger;
        _observers = new ObserverManager<IScopeObserver>(SubscriptionLifetime, logger);
    }

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _generation = Guid.NewGuid();
        var rebuilt = await Task.WhenAll(_state.State.Hostnames.Select(h => GrainFactory.GetGrain<IServiceGrain>(h).GetResourcesAsync()));
        foreach (var resources in rebuilt.Where(r => r.Resources.Count > 0))
        {
            _services[resources.Hostname] = resources;
        }

        _loaded = _state.State.Hostnames.Count > 0;

        LogActivated(_logger, this.GetPrimaryKeyString(), _generation, _services.Count);
    }

    /// <inheritdoc/>
    public async Task ApplyAsync(IReadOnlyList<ServiceResources> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var upserted = new List<XdsResource>();
        var removed = new List<ResourceKey>();
        var hostnamesChanged = false;
        foreach (var update in services)
        {
            var old = _services.GetValueOrDefault(update.Hostname);
            if (old is not null && old.Revision >= update.Revision)
            {
                // A newer revision of this hostname already arrived through another caller.
                continue;
            }

            var oldByKey = old?.Resources.ToDictionary(r => r.Key) ?? [];
            var newKeys = new HashSet<ResourceKey>();
            foreach (var resource in update.Resources)
            {
                newKeys.Add(resource.Key);
                if (!oldByKey.TryGetValue(resource.Key, out var previous) || previous.Version != resource.Version)
                {
                    upserted.Add(resource);
                }
            }

            removed.AddRange(oldByKey.Keys.Where(k => !newKeys.Contains(k)));
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

        var from = _epoch;
        _epoch++;
        var change = new ScopeUpdate(this.GetPrimaryKeyString(), _generation, from, _epoch, upserted, removed);
        // One-way calls: each task completes once sent, so nothing waits on a frontend.
        await _observers.Notify(o => o.OnUpdateAsync(change));
        LogChanged(_logger, change.Scope, change.ToEpoch, upserted.Count, removed.Count, _observers.Count);
    }

    /// <inheritdoc/>
    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(Snapshot(includeResources: true));

    /// <inheritdoc/>
    public Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observers.Subscribe(observer, observer);
        return Task.FromResult(Snapshot(includeResources));
    }

    /// <inheritdoc/>
    public Task UnsubscribeAsync(IScopeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private ScopeSnapshot Snapshot(bool includeResources) => new(
        this.GetPrimaryKeyString(),
        _generation,
        _epoch,
        includeResources ? _services.Values.SelectMany(s => s.Resources).ToList() : [],
        _loaded);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Scope {Scope} activated as generation {Generation} with {Hostnames} hostnames rebuilt from their ServiceGrains")]
    private static partial void LogActivated(ILogger logger, string scope, Guid generation, int hostnames);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Scope {Scope} epoch {Epoch}: {Upserted} resources changed, {Removed} removed, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, long epoch, int upserted, int removed, int observers);
}
