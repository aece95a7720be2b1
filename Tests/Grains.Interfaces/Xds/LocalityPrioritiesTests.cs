using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Grains.Interfaces.Xds;

public sealed class LocalityPrioritiesTests
{
    private static Locality At(string region, string zone, string subZone = "") => new() { Region = region, Zone = zone, SubZone = subZone };

    /// <summary>One locality per entry, each with one endpoint and the given weight, all at priority 0 (as EndpointTranslator builds them).</summary>
    private static ClusterLoadAssignment Assignment(params (Locality Locality, uint Weight)[] localities)
    {
        var assignment = new ClusterLoadAssignment { ClusterName = "outbound|7000||echo.default.svc.cluster.local" };
        var address = 1;
        foreach (var (locality, weight) in localities)
        {
            var endpoints = new LocalityLbEndpoints { Locality = locality, LoadBalancingWeight = weight };
            endpoints.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = $"10.0.0.{address++}", PortValue = 7000 } } },
                HealthStatus = HealthStatus.Healthy,
                LoadBalancingWeight = 1,
            });
            assignment.Endpoints.Add(endpoints);
        }

        return assignment;
    }

    private static Dictionary<string, uint> PrioritiesByZone(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.ToDictionary(e => $"{e.Locality.Region}/{e.Locality.Zone}", e => e.Priority);

    [Fact]
    public void Apply_SameZoneSameRegionAndElsewhere_GetPriorities0To2()
    {
        var assignment = Assignment((At("r1", "a"), 2), (At("r1", "b"), 3), (At("r2", "c"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.Equal(new Dictionary<string, uint> { ["r1/a"] = 0, ["r1/b"] = 1, ["r2/c"] = 2 }, PrioritiesByZone(result));
    }

    [Fact]
    public void Apply_NoEndpointsInTheProxysZone_RenumbersFromZeroWithoutAGap()
    {
        var assignment = Assignment((At("r1", "b"), 1), (At("r2", "c"), 1), (At("r3", "d"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.Equal(new Dictionary<string, uint> { ["r1/b"] = 0, ["r2/c"] = 1, ["r3/d"] = 1 }, PrioritiesByZone(result));
    }

    [Fact]
    public void Apply_NothingInTheProxysRegion_LeavesEverythingAtPriorityZero()
    {
        var assignment = Assignment((At("r2", "c"), 1), (At("r3", "d"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.All(result.Endpoints, e => Assert.Equal(0u, e.Priority));
        Assert.Equal(assignment, result);
    }

    [Fact]
    public void Apply_SameZoneAndElsewhereOnly_ClosesTheSameRegionGap()
    {
        var assignment = Assignment((At("r1", "a"), 1), (At("r2", "c"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.Equal(new Dictionary<string, uint> { ["r1/a"] = 0, ["r2/c"] = 1 }, PrioritiesByZone(result));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Apply_AProxyWithoutALocality_GetsTheAssignmentUnchanged(string? region)
    {
        var assignment = Assignment((At("r1", "a"), 2), (At("r2", "c"), 1));
        var proxy = region is null ? null : At(region, string.Empty, "only-a-subzone");

        var result = LocalityPriorities.Apply(assignment, proxy);

        Assert.Equal(assignment, result);
        Assert.NotSame(assignment, result);
    }

    [Fact]
    public void Apply_KeepsWeightsEndpointsAndOrder_AndLeavesTheInputAlone()
    {
        var assignment = Assignment((At("r2", "c"), 7), (At("r1", "b"), 3), (At("r1", "a"), 5));
        var before = assignment.Clone();

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.Equal(before, assignment);
        Assert.Equal(["r2/c", "r1/b", "r1/a"], result.Endpoints.Select(e => $"{e.Locality.Region}/{e.Locality.Zone}"));
        Assert.Equal([7u, 3u, 5u], result.Endpoints.Select(e => e.LoadBalancingWeight!.Value));
        Assert.Equal([2u, 1u, 0u], result.Endpoints.Select(e => e.Priority));
        Assert.Equal(assignment.Endpoints.Select(e => e.LbEndpoints), result.Endpoints.Select(e => e.LbEndpoints));
    }

    [Fact]
    public void Apply_ZoneOnlyLocalities_CompareTheEmptyRegionsAsEqual()
    {
        // A slice zone without a region ("zone-a") parses to region "" (EndpointTranslator.ParseLocality).
        var assignment = Assignment((At(string.Empty, "zone-a"), 1), (At(string.Empty, "zone-b"), 1), (At("r1", "a"), 1));

        var result = LocalityPriorities.Apply(assignment, At(string.Empty, "zone-a"));

        Assert.Equal(new Dictionary<string, uint> { ["/zone-a"] = 0, ["/zone-b"] = 1, ["r1/a"] = 2 }, PrioritiesByZone(result));
    }

    [Fact]
    public void Apply_AnySubZone_OfTheProxysZone_IsTheSameZone()
    {
        var assignment = Assignment((At("r1", "a", "rack-1"), 1), (At("r1", "a", "rack-2"), 1), (At("r1", "b"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a", "rack-1"));

        Assert.Equal([0u, 0u, 1u], result.Endpoints.Select(e => e.Priority));
    }
    private static LocalityLbPolicy Failover(params (string From, string To)[] entries) =>
        LocalityLbPolicy.Of(null, entries.Select(e => new RegionFailover(e.From, e.To)))!;

    [Fact]
    public void Apply_Disabled_LeavesEveryLocalityAtOnePriority_ForAProxyThatSaysWhereItIs()
    {
        var assignment = Assignment((At("r1", "a"), 2), (At("r1", "b"), 3), (At("r2", "c"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"), LocalityLbPolicy.Disabled);

        Assert.Equal(new Dictionary<string, uint> { ["r1/a"] = 0, ["r1/b"] = 0, ["r2/c"] = 0 }, PrioritiesByZone(result));
        Assert.Equal(assignment, result);
        Assert.NotSame(assignment, result);
    }

    [Fact]
    public void Apply_Failover_PutsTheTargetRegionRightAfterTheProxysOwnRegion_BeforeOtherRegions()
    {
        var assignment = Assignment((At("r3", "e"), 1), (At("r1", "a"), 1), (At("r2", "c"), 1), (At("r1", "b"), 1), (At("r2", "d"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"), Failover(("r1", "r2")));

        Assert.Equal(new Dictionary<string, uint> { ["r1/a"] = 0, ["r1/b"] = 1, ["r2/c"] = 2, ["r2/d"] = 2, ["r3/e"] = 3 }, PrioritiesByZone(result));
    }

    [Fact]
    public void Apply_Failover_WithoutThePolicy_LeavesTheTargetAmongOtherRegions()
    {
        var assignment = Assignment((At("r3", "e"), 1), (At("r1", "a"), 1), (At("r2", "c"), 1));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"));

        Assert.Equal(new Dictionary<string, uint> { ["r1/a"] = 0, ["r2/c"] = 1, ["r3/e"] = 1 }, PrioritiesByZone(result));
    }

    [Fact]
    public void Apply_Failover_AppliesOnlyToProxiesInTheFromRegion()
    {
        var assignment = Assignment((At("r1", "a"), 1), (At("r2", "c"), 1), (At("r3", "e"), 1));
        var policy = Failover(("r1", "r2"), ("r3", "r1"));

        var fromR3 = LocalityPriorities.Apply(assignment, At("r3", "e"), policy);
        var fromR2 = LocalityPriorities.Apply(assignment, At("r2", "c"), policy);

        Assert.Equal(new Dictionary<string, uint> { ["r3/e"] = 0, ["r1/a"] = 1, ["r2/c"] = 2 }, PrioritiesByZone(fromR3));
        Assert.Equal(new Dictionary<string, uint> { ["r2/c"] = 0, ["r1/a"] = 1, ["r3/e"] = 1 }, PrioritiesByZone(fromR2));
    }

    [Fact]
    public void Apply_Failover_FromARegionWithNoEndpoints_StartsAtTheTargetRegion_WithoutAGap()
    {
        var assignment = Assignment((At("r2", "c"), 4), (At("r3", "e"), 5));

        var result = LocalityPriorities.Apply(assignment, At("r1", "a"), Failover(("r1", "r3")));

        Assert.Equal(new Dictionary<string, uint> { ["r3/e"] = 0, ["r2/c"] = 1 }, PrioritiesByZone(result));
        Assert.Equal([4u, 5u], result.Endpoints.Select(e => e.LoadBalancingWeight ?? 0));
    }

    [Fact]
    public void Policy_OnlyTheFirstEntryOfARegionCounts_AndTheDefaultIsNoPolicy()
    {
        var policy = Failover(("r1", "r2"), ("r1", "r3"));

        Assert.Equal("r2", policy.FailoverFor("r1"));
        Assert.Null(policy.FailoverFor("r2"));
        Assert.Null(LocalityLbPolicy.Of(null, []));
        Assert.Null(LocalityLbPolicy.Of(true, null));
        Assert.Same(LocalityLbPolicy.Disabled, LocalityLbPolicy.Of(false, [new RegionFailover("r1", "r2")]));
    }

    [Fact]
    public void VersionOf_TakesThePolicyIn_AndIsThePlainHashWithoutOne()
    {
        byte[] payload = [1, 2, 3];

        Assert.Equal(ResourceVersion.Of(payload), LocalityLbPolicy.VersionOf(payload, null));
        Assert.NotEqual(ResourceVersion.Of(payload), LocalityLbPolicy.VersionOf(payload, LocalityLbPolicy.Disabled));
        Assert.NotEqual(LocalityLbPolicy.VersionOf(payload, Failover(("r1", "r2"))), LocalityLbPolicy.VersionOf(payload, Failover(("r1", "r3"))));
        Assert.Equal(LocalityLbPolicy.VersionOf(payload, Failover(("r1", "r2"))), LocalityLbPolicy.VersionOf(payload, Failover(("r1", "r2"))));
        Assert.Equal(Failover(("r1", "r2")), Failover(("r1", "r2")));
        Assert.NotEqual(LocalityLbPolicy.VersionOf(payload, Failover(("a>b", "c"))), LocalityLbPolicy.VersionOf(payload, Failover(("a", "b>c"))));
    }

    private static LocalityLbPolicy Distribute(params (string From, (string Locality, uint Weight)[] To)[] entries) =>
        LocalityLbPolicy.Of(true, null, entries.Select(e => new LocalityDistribute(e.From, e.To.Select(t => new LocalityWeight(t.Locality, t.Weight)).ToList())))!;

    private static Dictionary<string, (uint Weight, int Endpoints, uint Priority)> ByZone(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.ToDictionary(e => $"{e.Locality.Region}/{e.Locality.Zone}", e => (e.LoadBalancingWeight ?? 1, e.LbEndpoints.Count, e.Priority));

    [Fact]
    public void Distribute_WeighsTheLocalitiesAsTheProxysEntrySays_AllAtPriorityZero_AndEmptiesTheRest()
    {
        // Istio's docs example: traffic from us-west/zone1 stays 80 % in zone1, 20 % to zone2.
        var policy = Distribute(
            ("us-west/zone1/*", [("us-west/zone1/*", 80), ("us-west/zone2/*", 20)]),
            ("us-west/zone2/*", [("us-west/zone1/*", 20), ("us-west/zone2/*", 80)]));
        var assignment = Assignment((At("us-west", "zone1"), 1), (At("us-west", "zone2"), 1), (At("us-east", "zone3"), 1));

        var fromZone1 = LocalityPriorities.Apply(assignment, At("us-west", "zone1"), policy);
        var fromZone2 = LocalityPriorities.Apply(assignment, At("us-west", "zone2"), policy);

        Assert.Equal((80u, 1, 0u), ByZone(fromZone1)["us-west/zone1"]);
        Assert.Equal((20u, 1, 0u), ByZone(fromZone1)["us-west/zone2"]);
        Assert.Equal(0, ByZone(fromZone1)["us-east/zone3"].Endpoints);
        Assert.Equal((20u, 80u), (ByZone(fromZone2)["us-west/zone1"].Weight, ByZone(fromZone2)["us-west/zone2"].Weight));
        Assert.Single(assignment.Endpoints[2].LbEndpoints); // The input is left as it was.
    }

    [Fact]
    public void Distribute_AWildcardMatchingSeveralLocalities_SharesItsWeightByTheirOwn_RoundedUp()
    {
        var policy = Distribute(("r1", [("r1/*", 70), ("r2", 30)]));
        var assignment = Assignment((At("r1", "a"), 1), (At("r1", "b"), 2), (At("r2", "c"), 3));

        var result = ByZone(LocalityPriorities.Apply(assignment, At("r1", "a"), policy));

        // 70 * 1/3 = 23.3 -> 24 and 70 * 2/3 = 46.7 -> 47, as Istio's applyLocalityWeights rounds.
        Assert.Equal((24u, 47u, 30u), (result["r1/a"].Weight, result["r1/b"].Weight, result["r2/c"].Weight));
    }

    [Fact]
    public void Distribute_WithNoEntryForTheProxy_OrAProxyOfUnknownLocality_LeavesTheAssignmentAlone()
    {
        var policy = Distribute(("r9", [("r1", 100)]));
        var assignment = Assignment((At("r1", "a"), 1), (At("r2", "c"), 1));

        Assert.Equal(assignment, LocalityPriorities.Apply(assignment, At("r1", "a"), policy));
        Assert.Equal(assignment, LocalityPriorities.Apply(assignment, null, policy));
    }

    [Theory]
    [InlineData("r1", true)]
    [InlineData("*", true)]
    [InlineData("r1/a", true)]
    [InlineData("r1/*", true)]
    [InlineData("r1/a/*", true)]
    [InlineData("r1/b", false)]
    [InlineData("r2", false)]
    [InlineData("r1/a/s1", false)]
    public void Matches_AsIstiosLocalityMatch(string pattern, bool matches) =>
        Assert.Equal(matches, LocalityPriorities.Matches(At("r1", "a"), pattern));
}
