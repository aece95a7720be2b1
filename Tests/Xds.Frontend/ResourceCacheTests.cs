using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

public sealed class ResourceCacheTests
{
    private static readonly Guid s_generation = Guid.NewGuid();

    private static XdsResource Resource(string name, string version) => new(TypeUrls.Cluster, name, version, [1, 2, 3]);

    private static Locality At(string region, string zone) => new() { Region = region, Zone = zone };

    /// <summary>A ClusterLoadAssignment with one endpoint in each of <paramref name="zones"/> (<c>region/zone</c>), at priority 0.</summary>
    private static XdsResource Endpoints(string name, params string[] zones)
    {
        var assignment = new ClusterLoadAssignment { ClusterName = name };
        for (var i = 0; i < zones.Length; i++)
        {
            var parts = zones[i].Split('/');
            var locality = new LocalityLbEndpoints { Locality = At(parts[0], parts[1]), LoadBalancingWeight = 1 };
            locality.LbEndpoints.Add(new LbEndpoint { Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = $"10.0.0.{i + 1}", PortValue = 80 } } } });
            assignment.Endpoints.Add(locality);
        }

        var payload = assignment.ToByteArray();
        return new XdsResource(TypeUrls.ClusterLoadAssignment, name, ResourceVersion.Of(payload), payload);
    }

    /// <summary><see cref="Endpoints"/> under a locality setting, versioned as ServiceTranslator versions it.</summary>
    private static XdsResource Endpoints(LocalityLbPolicy policy, string name, params string[] zones)
    {
        var resource = Endpoints(name, zones);
        return resource with { LocalityLb = policy, Version = LocalityLbPolicy.VersionOf(resource.Payload, policy) };
    }

    private static LocalityLbPolicy Failover(string from, string to) => LocalityLbPolicy.Of(null, [new RegionFailover(from, to)])!;

    private static uint[] Priorities(CachedResource resource) =>
        ClusterLoadAssignment.Parser.ParseFrom(resource.Any.Value).Endpoints.Select(e => e.Priority).ToArray();

    private static CachedResource CachedEndpoints(ResourceCache cache, string name) => cache.Current.Of(TypeUrls.ClusterLoadAssignment)[name];

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
    public void TypeVersion_KeptUpToDateByWhatChanges_EqualsTheVersionOfTheWholeSet()
    {
        var random = new Random(5);
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Resource("a", "1"), Resource("b", "1")]));
        for (var epoch = 1; epoch < 300; epoch++)
        {
            var upserted = Enumerable.Range(0, random.Next(3)).Select(_ => Resource("r" + random.Next(20), "v" + random.Next(4))).DistinctBy(r => r.Name).ToList();
            var removed = Enumerable.Range(0, random.Next(2)).Select(_ => new ResourceKey(TypeUrls.Cluster, "r" + random.Next(20)))
                .Where(k => upserted.All(u => u.Name != k.Name)).Distinct().ToList();
            Assert.True(cache.TryApply(new ScopeUpdate("s", s_generation, epoch, epoch + 1, upserted, removed)));

            var all = cache.Current.Of(TypeUrls.Cluster).Values.Select(r => (r.Name, r.Version));
            Assert.Equal(ResourceVersion.OfSet(all), cache.Current.TypeVersion(TypeUrls.Cluster));
        }

        Assert.Equal(ResourceVersion.OfSet([]), cache.Current.TypeVersion(TypeUrls.Listener));
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

    [Fact]
    public void ForLocality_ManyStreamsOfOneLocality_BuildOneVariant_AndShareIt()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b")]));
        var resource = CachedEndpoints(cache, "e");

        var variants = Enumerable.Range(0, 50).Select(_ => cache.ForLocality(resource, At("r1", "a"))).ToList();
        var other = cache.ForLocality(resource, At("r1", "b"));

        Assert.All(variants, v => Assert.Same(variants[0], v));
        Assert.NotSame(variants[0], other);
        Assert.Equal(2, cache.VariantsBuilt);
        Assert.Equal(2, cache.VariantCount);
        Assert.Equal(ResourceVersion.Of(variants[0].Any.Value.Span), variants[0].Version);
        Assert.NotEqual(resource.Version, variants[0].Version);
        Assert.Equal([0u, 1u], ClusterLoadAssignment.Parser.ParseFrom(variants[0].Any.Value).Endpoints.Select(e => e.Priority));
    }

    [Fact]
    public async Task ForLocality_ConcurrentStreams_StillBuildOneVariant()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b", "r2/c")]));
        var resource = CachedEndpoints(cache, "e");

        var variants = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => cache.ForLocality(resource, At("r1", "a")))));

        Assert.All(variants, v => Assert.Same(variants[0], v));
        Assert.Equal(1, cache.VariantsBuilt);
    }

    [Fact]
    public void ForLocality_NoLocalityOrNotEndpoints_ReturnsTheResourceItself()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b"), Resource("c", "1")]));

        Assert.Same(CachedEndpoints(cache, "e"), cache.ForLocality(CachedEndpoints(cache, "e"), null));
        Assert.Same(CachedEndpoints(cache, "e"), cache.ForLocality(CachedEndpoints(cache, "e"), new Locality()));
        Assert.Same(cache.Current.Of(TypeUrls.Cluster)["c"], cache.ForLocality(cache.Current.Of(TypeUrls.Cluster)["c"], At("r1", "a")));
        Assert.Equal(0, cache.VariantsBuilt);
    }

    [Fact]
    public void ForLocality_LocalitiesThatMatchNothing_ShareTheResource_AndZonesOfOneRegionShareAVariant()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r2/b")]));
        var resource = CachedEndpoints(cache, "e");

        var faraway = Enumerable.Range(0, 20).Select(i => cache.ForLocality(resource, At($"r{i + 10}", "z"))).ToList();
        var otherZones = Enumerable.Range(0, 20).Select(i => cache.ForLocality(resource, At("r1", $"z{i}"))).ToList();

        Assert.All(faraway, v => Assert.Same(resource, v));
        Assert.All(otherZones, v => Assert.Same(otherZones[0], v));
        Assert.Equal(1, cache.VariantsBuilt);
    }

    [Fact]
    public void ForLocality_Disabled_SendsEveryLocalityTheResourceItself_AndBuildsNothing()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints(LocalityLbPolicy.Disabled, "e", "r1/a", "r1/b", "r2/c")]));
        var resource = CachedEndpoints(cache, "e");

        Assert.Same(resource, cache.ForLocality(resource, At("r1", "a")));
        Assert.Same(resource, cache.ForLocality(resource, At("r2", "c")));
        Assert.Equal([0u, 0u, 0u], Priorities(resource));
        Assert.Equal(LocalityLbPolicy.Disabled, resource.LocalityLb);
        Assert.Equal(0, cache.VariantsBuilt);
    }

    [Fact]
    public void ForLocality_Failover_BuildsOneVariantPerTarget_SharedByProxiesOfRegionsWithoutEndpoints()
    {
        var policy = LocalityLbPolicy.Of(null, [new RegionFailover("r1", "r2"), new RegionFailover("r5", "r3"), new RegionFailover("r6", "r3"), new RegionFailover("r7", "r9")])!;
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints(policy, "e", "r1/a", "r2/b", "r3/c")]));
        var resource = CachedEndpoints(cache, "e");

        var fromR1 = cache.ForLocality(resource, At("r1", "a"));
        var fromR5 = cache.ForLocality(resource, At("r5", "x"));
        var fromR6 = cache.ForLocality(resource, At("r6", "y"));
        var fromR7 = cache.ForLocality(resource, At("r7", "z"));
        var fromR8 = cache.ForLocality(resource, At("r8", "z"));

        Assert.Equal([0u, 1u, 2u], Priorities(fromR1));
        Assert.Equal([1u, 1u, 0u], Priorities(fromR5));
        Assert.Same(fromR5, fromR6);

        // A target with no endpoints, or no failover entry: one level, the resource itself.
        Assert.Same(resource, fromR7);
        Assert.Same(resource, fromR8);
        Assert.Equal(2, cache.VariantsBuilt);
        Assert.Equal(ResourceVersion.Of(fromR5.Any.Value.Span), fromR5.Version);
    }

    [Fact]
    public void ForLocality_AChangedSettingOverTheSameEndpoints_IsANewVersion_WithItsOwnVariants()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints(Failover("r1", "r2"), "e", "r1/a", "r2/b", "r3/c")]));
        var before = cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", "a"));

        var applied = cache.TryApply(new ScopeUpdate("s", s_generation, 1, 2, [Endpoints(Failover("r1", "r3"), "e", "r1/a", "r2/b", "r3/c")], []));
        var after = cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", "a"));

        Assert.True(applied);
        Assert.Equal([0u, 1u, 2u], Priorities(before));
        Assert.Equal([0u, 2u, 1u], Priorities(after));
        Assert.NotEqual(before.Version, after.Version);
        Assert.Equal(1, cache.VariantCount);
    }

    [Fact]
    public void ForLocality_OneLevelOnly_SharesTheResourceItself()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/a")]));
        var resource = CachedEndpoints(cache, "e");

        Assert.Same(resource, cache.ForLocality(resource, At("r1", "a")));
    }

    [Fact]
    public void TryApply_AChangedOrRemovedAssignment_DropsItsVariants_AndKeepsTheOthers()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b"), Endpoints("f", "r1/a", "r1/b"), Endpoints("g", "r1/a", "r1/b")]));
        foreach (var name in new[] { "e", "f", "g" })
        {
            cache.ForLocality(CachedEndpoints(cache, name), At("r1", "a"));
        }

        var kept = cache.ForLocality(CachedEndpoints(cache, "g"), At("r1", "a"));

        cache.TryApply(new ScopeUpdate("s", s_generation, 1, 2, [Endpoints("e", "r1/a", "r1/b", "r2/c")], [new ResourceKey(TypeUrls.ClusterLoadAssignment, "f")]));

        Assert.Equal(1, cache.VariantCount);
        Assert.Same(kept, cache.ForLocality(CachedEndpoints(cache, "g"), At("r1", "a")));
        var rebuilt = cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", "a"));
        Assert.Equal([0u, 1u, 2u], ClusterLoadAssignment.Parser.ParseFrom(rebuilt.Any.Value).Endpoints.Select(e => e.Priority));
        Assert.Equal(4, cache.VariantsBuilt);
        Assert.Equal(2, cache.VariantCount);
    }

    [Fact]
    public void Reset_KeepsTheVariantsOfUnchangedVersions_AndDropsTheRest()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b"), Endpoints("f", "r1/a", "r1/b")]));
        var kept = cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", "a"));
        cache.ForLocality(CachedEndpoints(cache, "f"), At("r1", "a"));

        cache.Reset(new ScopeSnapshot("s", Guid.NewGuid(), 1, [Endpoints("e", "r1/a", "r1/b"), Endpoints("f", "r1/b")]));

        Assert.Equal(1, cache.VariantCount);
        Assert.Same(kept, cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", "a")));
        Assert.Equal(2, cache.VariantsBuilt);
    }

    [Fact]
    public void ForLocality_ASupersededVersion_IsServedButNotKept()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 1, [Endpoints("e", "r1/a", "r1/b")]));
        var old = CachedEndpoints(cache, "e");
        cache.TryApply(new ScopeUpdate("s", s_generation, 1, 2, [Endpoints("e", "r1/a", "r2/b")], []));

        var variant = cache.ForLocality(old, At("r1", "a"));

        Assert.Equal([0u, 1u], ClusterLoadAssignment.Parser.ParseFrom(variant.Any.Value).Endpoints.Select(e => e.Priority));
        Assert.Equal(0, cache.VariantCount);
    }

    [Fact]
    public void ForLocality_ManyChanges_NeverHoldMoreThanTheCurrentVersionsVariants()
    {
        var cache = new ResourceCache("s");
        cache.Reset(new ScopeSnapshot("s", s_generation, 0, [Endpoints("e", "r1/a", "r1/b")]));

        for (var epoch = 1; epoch <= 30; epoch++)
        {
            var zones = Enumerable.Range(0, epoch % 5 + 2).Select(i => $"r1/z{i}").ToArray();
            cache.TryApply(new ScopeUpdate("s", s_generation, epoch - 1, epoch, [Endpoints("e", zones)], []));
            foreach (var zone in zones)
            {
                cache.ForLocality(CachedEndpoints(cache, "e"), At("r1", zone.Split('/')[1]));
            }

            Assert.Equal(zones.Length, cache.VariantCount);
        }
    }
}
