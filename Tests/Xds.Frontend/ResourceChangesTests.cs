using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

public sealed class ResourceChangesTests
{
    private static readonly Guid s_generation = Guid.NewGuid();

    private static XdsResource Resource(string name, string version) => new(TypeUrls.Cluster, name, version, [1, 2, 3]);

    private static ResourceCache Cache(params XdsResource[] resources)
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, resources));
        return cache;
    }

    [Fact]
    public void Of_NamesInAnyOrder_ListsThemInOrdinalOrder_WithTheirResourcesOrNullWhenRemoved()
    {
        var cache = Cache(Resource("b", "1"), Resource("B", "1"), Resource("a", "2"));

        var changes = ResourceChanges.Of(["b", "gone", "a", "B"], cache.Current.Of(TypeUrls.Cluster));

        Assert.Equal(["B", "a", "b", "gone"], changes.Entries.ToArray().Select(e => e.Name));
        Assert.Equal(["1", "2", "1", null], changes.Entries.ToArray().Select(e => e.Resource?.Version));
        Assert.Equal(4, changes.Count);
        Assert.Equal(1, changes.Removed);
        Assert.Equal(3, changes.Upserted);
    }

    [Fact]
    public void Of_ANameThatExists_IsGivenAsTheResourcesOwnString()
    {
        var cache = Cache(Resource("cluster-a", "1"));
        var asked = new string("cluster-a".ToCharArray());

        var changes = ResourceChanges.Of([asked], cache.Current.Of(TypeUrls.Cluster));

        var held = cache.Current.Of(TypeUrls.Cluster)["cluster-a"].Name;
        Assert.Same(held, changes.Entries[0].Name);
        Assert.NotSame(asked, changes.Entries[0].Name);
    }

    [Fact]
    public void Of_NoNames_IsNone()
    {
        var cache = Cache(Resource("a", "1"));

        Assert.Same(ResourceChanges.None, ResourceChanges.Of(null, cache.Current.Of(TypeUrls.Cluster)));
        Assert.Same(ResourceChanges.None, ResourceChanges.Of([], cache.Current.Of(TypeUrls.Cluster)));
        Assert.Equal(0, ResourceChanges.None.Count);
    }

    [Fact]
    public void ChangesSince_TheSameStartingPoint_IsWorkedOutOnce_AndShared()
    {
        var cache = Cache(Resource("a", "1"), Resource("b", "1"));
        var before = cache.Current;
        Assert.True(cache.TryApply(new ScopeUpdate("s", s_generation, 1, 2, [Resource("b", "2"), Resource("c", "1")], [new ResourceKey(TypeUrls.Cluster, "a")])));
        var view = cache.Current;

        var first = view.ChangesSince(before.Generation, before.Epoch, TypeUrls.Cluster);
        var second = view.ChangesSince(before.Generation, before.Epoch, TypeUrls.Cluster);

        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.Equal(["a", "b", "c"], first.Entries.ToArray().Select(e => e.Name));
        Assert.Null(first.Entries[0].Resource);
        Assert.Same(view.Of(TypeUrls.Cluster)["b"], first.Entries[1].Resource);
        Assert.Same(ResourceChanges.None, view.ChangesSince(before.Generation, before.Epoch, TypeUrls.Listener));
    }

    [Fact]
    public void ChangesSince_SeveralUpdatesBack_HoldsEveryNameThatChanged_AsTheLatestViewHasIt()
    {
        var cache = Cache(Resource("a", "1"), Resource("b", "1"));
        var before = cache.Current;
        Assert.True(cache.TryApply(new ScopeUpdate("s", s_generation, 1, 2, [Resource("a", "2")], [])));
        Assert.True(cache.TryApply(new ScopeUpdate("s", s_generation, 2, 3, [Resource("b", "2")], [new ResourceKey(TypeUrls.Cluster, "a")])));

        var changes = cache.Current.ChangesSince(before.Generation, before.Epoch, TypeUrls.Cluster);

        Assert.NotNull(changes);
        Assert.Equal([("a", (string?)null), ("b", "2")], changes.Entries.ToArray().Select(e => (e.Name, e.Resource?.Version)));
    }

    [Fact]
    public void ChangesSince_AnotherGeneration_OrBeyondTheLog_IsNull()
    {
        var cache = Cache(Resource("a", "1"));
        var view = cache.Current;

        Assert.Null(view.ChangesSince(Guid.NewGuid(), view.Epoch, TypeUrls.Cluster));
        Assert.Null(view.ChangesSince(view.Generation, view.Epoch + 1, TypeUrls.Cluster));
    }
}
