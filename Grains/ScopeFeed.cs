using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Mesh.Orleans.Grains;

/// <summary>
/// What every grain that frontends mirror shares (<see cref="ScopeGrain"/>, <see cref="WorkloadGrain"/>):
/// its subscribed frontends, its generation (new with each activation, so frontends seeing
/// it change resync) and its epoch (one step per published change), and the one-way fan-out of
/// each change to the frontends.
/// </summary>
internal sealed class ScopeFeed(string scope, ILogger logger)
{
    /// <summary>How long a frontend's subscription lives without renewal.</summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromMinutes(2);

    private readonly ObserverManager<IScopeObserver> _observers = new(SubscriptionLifetime, logger);

    /// <summary>The scope's name.</summary>
    public string Scope { get; } = scope;

    /// <summary>This activation's generation.</summary>
    public Guid Generation { get; } = Guid.NewGuid();

    /// <summary>The number of changes published in this generation.</summary>
    public long Epoch { get; private set; }

    /// <summary>The number of subscribed frontends.</summary>
    public int Subscribers => _observers.Count;

    /// <summary>Subscribes or renews <paramref name="observer"/>.</summary>
    public void Subscribe(IScopeObserver observer) => _observers.Subscribe(observer, observer);

    /// <summary>Ends <paramref name="observer"/>'s subscription.</summary>
    public void Unsubscribe(IScopeObserver observer) => _observers.Unsubscribe(observer);

    /// <summary>Moves to the next epoch and sends the change to every subscribed frontend, one-way.</summary>
    public async Task<ScopeUpdate> PublishAsync(IReadOnlyList<XdsResource> upserted, IReadOnlyList<ResourceKey> removed)
    {
        var from = Epoch;
        Epoch++;
        var change = new ScopeUpdate(Scope, Generation, from, Epoch, upserted, removed);
        await _observers.Notify(o => o.OnUpdateAsync(change));
        return change;
    }

    /// <summary>A snapshot of <paramref name="resources"/> at the current epoch.</summary>
    public ScopeSnapshot Snapshot(Func<IReadOnlyList<XdsResource>> resources, bool includeResources, bool loaded) =>
        new(Scope, Generation, Epoch, includeResources ? resources() : [], loaded);

    /// <summary>
    /// The difference from <paramref name="before"/> to <paramref name="after"/> (both keyed by
    /// resource): what was added or whose version changed, and what is gone.
    /// </summary>
    public static (List<XdsResource> Upserted, List<ResourceKey> Removed) Diff(IReadOnlyDictionary<ResourceKey, XdsResource> before, IReadOnlyDictionary<ResourceKey, XdsResource> after)
    {
        var upserted = after.Values.Where(r => !before.TryGetValue(r.Key, out var old) || old.Version != r.Version).ToList();
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).ToList();
        return (upserted, removed);
    }
}
