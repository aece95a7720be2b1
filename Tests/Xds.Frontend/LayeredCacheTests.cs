using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>A layered cache is the union of a shared base and a workload's overlay, kept current by what changes.</summary>
public sealed class LayeredCacheTests
{
    private static readonly Guid s_generation = Guid.NewGuid();

    private static XdsResource Cluster(string name, string version) => new(TypeUrls.Cluster, name, version, [1, 2, 3]);

    private static XdsResource Listener(string name, string version) => new(TypeUrls.Listener, name, version, [4, 5]);

    private static (ResourceCache Base, ResourceCache Overlay, ResourceCache Layered) Layers()
    {
        var below = new ResourceCache("sidecar");
        var above = new ResourceCache("workload/sidecar/K/10.0.0.1");
        var layered = new ResourceCache("sidecar+workload", below, above);
        below.Listen(layered.Recompose);
        above.Listen(layered.Recompose);
        return (below, above, layered);
    }

    private static Dictionary<string, string> Contents(ResourceCache cache, string typeUrl) =>
        cache.Current.Of(typeUrl).Values.ToDictionary(r => r.Name, r => r.Version);

    [Fact]
    public void NotReady_UntilBothLayersAre_ThenHoldsTheirUnion()
    {
        var (below, above, layered) = Layers();
        below.Reset(new ScopeSnapshot("sidecar", s_generation, 1, [Cluster("outbound|80||a", "1"), Listener("0.0.0.0_80", "1")]));
        layered.Recompose();
        Assert.False(layered.Ready.IsCompleted);

        above.Reset(new ScopeSnapshot("workload", s_generation, 1, [Cluster("inbound|80||", "1"), Listener("virtualInbound", "1")]));

        Assert.True(layered.Ready.IsCompleted);
        Assert.Equal(new Dictionary<string, string> { ["outbound|80||a"] = "1", ["inbound|80||"] = "1" }, Contents(layered, TypeUrls.Cluster));
        Assert.Equal(new Dictionary<string, string> { ["0.0.0.0_80"] = "1", ["virtualInbound"] = "1" }, Contents(layered, TypeUrls.Listener));
    }

    [Fact]
    public void AChangeToEitherLayer_MovesItOnByWhatChanged_AndTheTypeVersionIsTheWholeSets()
    {
        var (below, above, layered) = Layers();
        below.Reset(new ScopeSnapshot("sidecar", s_generation, 1, [Cluster("a", "1"), Cluster("b", "1")]));
        above.Reset(new ScopeSnapshot("workload", s_generation, 1, [Cluster("inbound|80||", "1")]));
        var before = layered.Current;

        Assert.True(below.TryApply(new ScopeUpdate("sidecar", s_generation, 1, 2, [Cluster("c", "1"), Cluster("a", "2")], [new ResourceKey(TypeUrls.Cluster, "b")])));
        Assert.True(above.TryApply(new ScopeUpdate("workload", s_generation, 1, 2, [Cluster("inbound|81||", "1")], [])));

        Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["c"] = "1", ["inbound|80||"] = "1", ["inbound|81||"] = "1" }, Contents(layered, TypeUrls.Cluster));
        var changed = layered.Current.ChangedSince(before.Generation, before.Epoch);
        Assert.NotNull(changed);
        Assert.Equal(["a", "b", "c", "inbound|81||"], changed[TypeUrls.Cluster].Order(StringComparer.Ordinal));
        Assert.Equal(
            ResourceVersion.OfSet(layered.Current.Of(TypeUrls.Cluster).Values.Select(r => (r.Name, r.Version))),
            layered.Current.TypeVersion(TypeUrls.Cluster));
    }

    [Fact]
    public void TheOverlayWins_WhereBothNameAResource_AndTheBaseShowsAgainWhenTheOverlayDropsIt()
    {
        var (below, above, layered) = Layers();
        below.Reset(new ScopeSnapshot("sidecar", s_generation, 1, [Listener("virtualInbound", "shared")]));
        above.Reset(new ScopeSnapshot("workload", s_generation, 1, [Listener("virtualInbound", "own")]));
        Assert.Equal("own", Contents(layered, TypeUrls.Listener)["virtualInbound"]);

        Assert.True(above.TryApply(new ScopeUpdate("workload", s_generation, 1, 2, [], [new ResourceKey(TypeUrls.Listener, "virtualInbound")])));

        Assert.Equal("shared", Contents(layered, TypeUrls.Listener)["virtualInbound"]);
    }

    [Fact]
    public void ALayerRefilledFromASnapshot_IsMergedWhole_AndTheChangeNamesWhatDiffers()
    {
        var (below, above, layered) = Layers();
        below.Reset(new ScopeSnapshot("sidecar", s_generation, 1, [Cluster("a", "1"), Cluster("b", "1")]));
        above.Reset(new ScopeSnapshot("workload", s_generation, 1, []));
        var before = layered.Current;

        // A new generation of the base (its grain reactivated) refills it.
        below.Reset(new ScopeSnapshot("sidecar", Guid.NewGuid(), 1, [Cluster("a", "1"), Cluster("z", "1")]));

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["z"] = "1" }, Contents(layered, TypeUrls.Cluster));
        Assert.Equal(before.Generation, layered.Current.Generation);
        var changed = layered.Current.ChangedSince(before.Generation, before.Epoch);
        Assert.NotNull(changed);
        Assert.Equal(["b", "z"], changed[TypeUrls.Cluster].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ResourcesAreTheLayersOwnInstances_SoNoAnyIsBuiltTwice()
    {
        var (below, above, layered) = Layers();
        below.Reset(new ScopeSnapshot("sidecar", s_generation, 1, [Cluster("a", "1")]));
        above.Reset(new ScopeSnapshot("workload", s_generation, 1, [Cluster("inbound|80||", "1")]));

        Assert.Same(below.Current.Of(TypeUrls.Cluster)["a"], layered.Current.Of(TypeUrls.Cluster)["a"]);
        Assert.Same(above.Current.Of(TypeUrls.Cluster)["inbound|80||"], layered.Current.Of(TypeUrls.Cluster)["inbound|80||"]);
        Assert.Equal(0, layered.AnyBuilt);
    }
}
