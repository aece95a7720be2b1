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
}
