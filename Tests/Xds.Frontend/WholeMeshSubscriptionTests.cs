using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// A whole-mesh scope's shards seen as one feed: their snapshots and updates, through the union,
/// keep a real <see cref="ResourceCache"/> equal to what the shards hold, and every way a part
/// can move on unseen ends in the cache resyncing.
/// </summary>
public sealed class WholeMeshSubscriptionTests
{
    private static XdsResource Resource(string name, string version) => new(TypeUrls.Cluster, name, version, [1]);

    private static ResourceKey Key(string name) => new(TypeUrls.Cluster, name);

    [Fact]
    public async Task Snapshot_IsTheUnionOfItsParts_AndEachPartsUpdatesFollowOnInOneSequence()
    {
        var shards = new FakeShards("a", "b");
        shards.Set("a", Resource("x", "1"));
        shards.Set("b", Resource("y", "1"));
        var (union, cache, gaps) = Subscribe(shards);

        cache.Reset(await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true));
        Assert.Equal(["x", "y"], cache.Current.Of(TypeUrls.Cluster).Keys.Order());

        union.Receive(shards.Change("b", [Resource("y", "2")], []));
        union.Receive(shards.Change("a", [Resource("z", "1")], [Key("x")]));

        Assert.Empty(gaps);
        Assert.Equal([("y", "2"), ("z", "1")], cache.Current.Of(TypeUrls.Cluster).Values.Select(r => (r.Name, r.Version)).Order());

        // A renewal finds every part where the union holds it.
        var renewed = await union.SubscribeAsync(shards.SubscribeAsync, includeResources: false);
        Assert.Equal((cache.Current.Generation, cache.Current.Epoch), (renewed.Generation, renewed.Epoch));
    }

    [Fact]
    public async Task AnUpdateThatSkipsAnEpochOfItsPart_MakesTheCacheResync_AndTheResyncKeepsTheGeneration()
    {
        var shards = new FakeShards("a", "b");
        shards.Set("a", Resource("x", "1"));
        var (union, cache, gaps) = Subscribe(shards);
        cache.Reset(await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true));
        var generation = cache.Current.Generation;

        shards.Change("a", [Resource("x", "2")], []); // lost on the way
        union.Receive(shards.Change("a", [Resource("x", "3")], []));
        union.Receive(shards.Change("b", [Resource("w", "1")], [])); // dropped until the resync

        Assert.Single(gaps);
        cache.Reset(await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true));
        Assert.Equal(generation, cache.Current.Generation);
        Assert.Equal([("w", "1"), ("x", "3")], cache.Current.Of(TypeUrls.Cluster).Values.Select(r => (r.Name, r.Version)).Order());

        // The cache's log tells its streams only what changed.
        Assert.NotNull(cache.Current.ChangedSince(generation, cache.Current.Log[0].FromEpoch));
    }

    [Fact]
    public async Task APartReactivated_ShowsAtTheNextUpdateOrRenewal()
    {
        var shards = new FakeShards("a", "b");
        var (union, cache, gaps) = Subscribe(shards);
        cache.Reset(await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true));

        shards.Reactivate("b");
        var renewed = await union.SubscribeAsync(shards.SubscribeAsync, includeResources: false);
        Assert.True(renewed.Epoch > cache.Current.Epoch, "the renewal reports the union behind");

        union.Receive(shards.Change("b", [Resource("y", "1")], []));
        Assert.Single(gaps);
    }

    [Fact]
    public async Task UpdatesArrivingWhileTheSnapshotIsRead_AreFoldedIntoIt()
    {
        var shards = new FakeShards("a", "b");
        shards.Set("a", Resource("x", "1"));
        var (union, cache, gaps) = Subscribe(shards);

        // Part b moves on twice after its snapshot is taken, before the union's snapshot is returned.
        shards.OnSnapshot = part =>
        {
            if (part == "b")
            {
                union.Receive(shards.Change("b", [Resource("y", "1")], []));
                union.Receive(shards.Change("b", [Resource("y", "2")], []));
            }
        };
        cache.Reset(await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true));
        shards.OnSnapshot = null;

        Assert.Equal([("x", "1"), ("y", "2")], cache.Current.Of(TypeUrls.Cluster).Values.Select(r => (r.Name, r.Version)).Order());
        union.Receive(shards.Change("b", [Resource("y", "3")], []));
        Assert.Empty(gaps);
        Assert.Equal("3", cache.Current.Of(TypeUrls.Cluster)["y"].Version);
    }

    [Fact]
    public async Task APartNotLoaded_LeavesTheUnionNotLoaded()
    {
        var shards = new FakeShards("a", "b");
        shards.NotLoaded.Add("b");
        var (union, _, _) = Subscribe(shards);

        var snapshot = await union.SubscribeAsync(shards.SubscribeAsync, includeResources: true);

        Assert.False(snapshot.Loaded);
        Assert.Empty(snapshot.Resources);
    }

    private static (WholeMeshSubscription Union, ResourceCache Cache, List<ScopeUpdate> Gaps) Subscribe(FakeShards shards)
    {
        var cache = new ResourceCache("default");
        var gaps = new List<ScopeUpdate>();
        var union = new WholeMeshSubscription("default", shards.Keys) { OnUpdate = u => { if (!cache.TryApply(u)) { gaps.Add(u); } } };
        return (union, cache, gaps);
    }

    /// <summary>Shards as their grains behave: a generation, an epoch per change, a snapshot of what they hold.</summary>
    private sealed class FakeShards(params string[] keys)
    {
        private readonly Dictionary<string, (Guid Generation, long Epoch, Dictionary<ResourceKey, XdsResource> Held)> _shards =
            keys.ToDictionary(k => k, _ => (Guid.NewGuid(), 0L, new Dictionary<ResourceKey, XdsResource>()));

        public IReadOnlyList<string> Keys { get; } = keys;

        public HashSet<string> NotLoaded { get; } = [];

        public Action<string>? OnSnapshot { get; set; }

        public void Set(string key, XdsResource resource) => _shards[key].Held[resource.Key] = resource;

        public ScopeUpdate Change(string key, IReadOnlyList<XdsResource> upserted, IReadOnlyList<ResourceKey> removed)
        {
            var (generation, epoch, held) = _shards[key];
            foreach (var r in removed)
            {
                held.Remove(r);
            }

            foreach (var r in upserted)
            {
                held[r.Key] = r;
            }

            _shards[key] = (generation, epoch + 1, held);
            return new ScopeUpdate(key, generation, epoch, epoch + 1, upserted, removed);
        }

        public void Reactivate(string key) => _shards[key] = (Guid.NewGuid(), 0, _shards[key].Held);

        public Task<ScopeSnapshot> SubscribeAsync(string key, bool includeResources)
        {
            var (generation, epoch, held) = _shards[key];
            var snapshot = new ScopeSnapshot(key, generation, epoch, includeResources ? held.Values.ToList() : [], !NotLoaded.Contains(key));
            if (includeResources)
            {
                OnSnapshot?.Invoke(key);
            }

            return Task.FromResult(snapshot);
        }
    }
}
