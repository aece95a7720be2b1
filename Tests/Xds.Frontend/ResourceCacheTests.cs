using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

public sealed class ResourceCacheTests
{
    private static readonly Guid s_generation = Guid.NewGuid();

    private static XdsResource Resource(string name, string version) => new(TypeUrls.Cluster, name, version, [1, 2, 3]);

    [Fact]
    public void TryApply_AnUpdateThatFollowsOn_IsApplied_AndListenersAreCalledOnce()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 3, [Resource("a", "1")]));
        var calls = 0;
        using var listener = cache.Listen(() => calls++);

        var applied = cache.TryApply(new ScopeUpdate("s", s_generation, 3, 4, [Resource("b", "1")], [new ResourceKey(TypeUrls.Cluster, "a")]));

        Assert.True(applied);
        Assert.Equal(4, cache.Current.Epoch);
        Assert.Equal(["b"], cache.Current.Of(TypeUrls.Cluster).Keys);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void TryApply_AGap_OrAnotherGeneration_AsksForAResync()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 3, []));

        Assert.False(cache.TryApply(new ScopeUpdate("s", s_generation, 4, 5, [Resource("a", "1")], [])));
        Assert.False(cache.TryApply(new ScopeUpdate("s", Guid.NewGuid(), 3, 4, [Resource("a", "1")], [])));
        Assert.Equal(3, cache.Current.Epoch);
    }

    [Fact]
    public void TryApply_AnUpdateAlreadyHeld_IsIgnored()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 5, [Resource("a", "5")]));

        Assert.True(cache.TryApply(new ScopeUpdate("s", s_generation, 3, 4, [Resource("a", "4")], [])));
        Assert.Equal("5", cache.Current.Of(TypeUrls.Cluster)["a"].Version);
    }

    [Fact]
    public void Reset_KeepsTheAnyOfAnUnchangedVersion_SoNothingIsBuiltTwice()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Resource("a", "1"), Resource("b", "1")]));
        var any = cache.Current.Of(TypeUrls.Cluster)["a"].Any;

        cache.Reset(new ScopeSnapshot("s", s_generation, 2, [Resource("a", "1"), Resource("b", "2")]));

        Assert.Same(any, cache.Current.Of(TypeUrls.Cluster)["a"].Any);
        Assert.Equal(3, cache.AnyBuilt);
    }

    [Fact]
    public async Task Ready_CompletesOnTheFirstSnapshot()
    {
        var cache = new ResourceCache("s");
        Assert.False(cache.Ready.IsCompleted);

        cache.Reset(new ScopeSnapshot("s", s_generation, 0, []));

        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(1));
    }
}
