using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// Locality-aware EDS over a real server: a proxy that announces its locality is sent the
/// ClusterLoadAssignment in that locality's failover priorities, one shared variant per
/// (version, locality), on SotW, Delta and Fetch alike.
/// </summary>
public sealed class LocalityProtocolTests
{
    // The scope the tests' Istio-style proxyless clients (namespace default) are served from.
    private static readonly string ProxylessDefault = global::Mesh.Orleans.Grains.Interfaces.ScopeNames.ProxylessScope("Kubernetes", "default");

    private const string Echo = "echo.default.svc.cluster.local";
    private static readonly string s_cluster = $"outbound|7000||{Echo}";

    private static Locality At(string region, string zone) => new() { Region = region, Zone = zone };

    /// <summary>echo with one endpoint in r1/a (ready or not), two in r1/b and one in r2/c.</summary>
    private static Dictionary<string, string> ThreeZones(bool zoneAReady = true) => new()
    {
        ["echo.yaml"] = MeshYaml.Documents(
            MeshYaml.Service("echo", 7000),
            MeshYaml.Slice("echo-a", "echo", 17000, [("10.0.0.1", zoneAReady)], zone: "r1/a"),
            MeshYaml.Slice("echo-b", "echo", 17000, [("10.0.0.2", true), ("10.0.0.3", true)], zone: "r1/b"),
            MeshYaml.Slice("echo-c", "echo", 17000, [("10.0.0.4", true)], zone: "r2/c")),
    };

    /// <summary>Each locality of an assignment as <c>region/zone</c> to (priority, weight).</summary>
    private static Dictionary<string, (uint Priority, uint Weight)> Priorities(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.ToDictionary(e => $"{e.Locality.Region}/{e.Locality.Zone}", e => (e.Priority, e.LoadBalancingWeight ?? 0));

    [Fact]
    public async Task SotwProxiesInDifferentZones_GetTheirOwnPriorities_ForTheSameCluster_OneVariantPerZone()
    {
        await using var server = await MeshServer.StartAsync(ThreeZones());
        var builtBefore = server.ScopeCache(ProxylessDefault).VariantsBuilt;
        var zoneA = Enumerable.Range(0, 3).Select(i => AdsTestClient.Connect(server.XdsPort, $"sidecar~10.1.0.{i}~a{i}.default~default.svc.cluster.local", locality: At("r1", "a"))).ToList();
        await using var zoneB = AdsTestClient.Connect(server.XdsPort, "sidecar~10.2.0.1~b.default~default.svc.cluster.local", locality: At("r1", "b"));
        await using var nowhere = AdsTestClient.Connect(server.XdsPort, "sidecar~10.3.0.1~n.default~default.svc.cluster.local");
        try
        {
            var responsesA = new List<DiscoveryResponse>();
            foreach (var client in zoneA)
            {
                await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
                responsesA.Add(await client.ReceiveAsync());
            }

            await zoneB.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
            var responseB = await zoneB.ReceiveAsync();
            await nowhere.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
            var responseN = await nowhere.ReceiveAsync();

            var a = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(responsesA[0]));
            var b = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(responseB));
            var n = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(responseN));
            Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 1), ["r1/b"] = (1, 2), ["r2/c"] = (2, 1) }, Priorities(a));
            Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (1, 1), ["r1/b"] = (0, 2), ["r2/c"] = (2, 1) }, Priorities(b));
            Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 1), ["r1/b"] = (0, 2), ["r2/c"] = (0, 1) }, Priorities(n));
            Assert.All(responsesA, r => Assert.Equal(responsesA[0].Resources[0].Value, r.Resources[0].Value));
            Assert.Single(responsesA.Select(r => r.VersionInfo).Distinct());
            Assert.Equal(3, new[] { responsesA[0].VersionInfo, responseB.VersionInfo, responseN.VersionInfo }.Distinct().Count());
            Assert.Equal(2, server.ScopeCache(ProxylessDefault).VariantsBuilt - builtBefore);
        }
        finally
        {
            foreach (var client in zoneA)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SotwProxy_WhenItsZoneLosesItsEndpoints_GetsTheNextZoneAtPriorityZero_AndTheOldVariantIsDropped()
    {
        await using var server = await MeshServer.StartAsync(ThreeZones());
        await using var client = AdsTestClient.Connect(server.XdsPort, locality: At("r1", "a"));
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
        var first = await client.ReceiveAsync();
        await client.AckAsync(first, [s_cluster]);

        await server.WriteConfigAsync("echo.yaml", ThreeZones(zoneAReady: false)["echo.yaml"]);
        var second = await client.ReceiveAsync();

        var assignment = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(second));
        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/b"] = (0, 2), ["r2/c"] = (1, 1) }, Priorities(assignment));
        Assert.NotEqual(first.VersionInfo, second.VersionInfo);
        Assert.Equal(1, server.ScopeCache(ProxylessDefault).VariantCount);
    }

    [Fact]
    public async Task DeltaReconnect_WithItsVariantsVersion_IsSentNothing_WhileAnotherZoneIsSentItsOwn()
    {
        await using var server = await MeshServer.StartAsync(ThreeZones());
        Resource held;
        await using (var before = DeltaTestClient.Connect(server.XdsPort, locality: At("r1", "a")))
        {
            await before.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_cluster]);
            held = Assert.Single((await before.ReceiveAsync()).Resources);
        }

        var initial = new Dictionary<string, string> { [s_cluster] = held.Version };
        await using var sameZone = DeltaTestClient.Connect(server.XdsPort, locality: At("r1", "a"));
        await sameZone.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_cluster], initialVersions: initial);
        var sameZoneResponse = await sameZone.ReceiveAsync();
        await sameZone.AckAsync(sameZoneResponse);
        await using var otherZone = DeltaTestClient.Connect(server.XdsPort, "sidecar~10.2.0.1~b.default~default.svc.cluster.local", At("r1", "b"));
        await otherZone.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_cluster], initialVersions: initial);
        var otherZoneResponse = await otherZone.ReceiveAsync();

        Assert.Equal(ResourceVersion.Of(held.Resource_.Value.Span), held.Version);
        Assert.NotEqual(server.ScopeCache(ProxylessDefault).Current.Of(TypeUrls.ClusterLoadAssignment)[s_cluster].Version, held.Version);
        Assert.Empty(sameZoneResponse.Resources);
        Assert.Empty(sameZoneResponse.RemovedResources);
        Assert.True(await sameZone.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        var resource = Assert.Single(otherZoneResponse.Resources);
        Assert.NotEqual(held.Version, resource.Version);
        Assert.Equal(0u, ClusterLoadAssignment.Parser.ParseFrom(resource.Resource_.Value).Endpoints.Single(e => e.Locality.Zone == "b").Priority);
    }

    [Fact]
    public async Task Fetch_WithALocality_ReturnsThatLocalitysVariant()
    {
        await using var server = await MeshServer.StartAsync(ThreeZones());
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.XdsPort}");
        var endpoints = new Envoy.Service.Endpoint.V3.EndpointDiscoveryService.EndpointDiscoveryServiceClient(channel);

        var fetched = await endpoints.FetchEndpointsAsync(new DiscoveryRequest { Node = new Node { Id = "fetcher", Locality = At("r2", "c") }, ResourceNames = { s_cluster } });

        var assignment = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(fetched));
        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (1, 1), ["r1/b"] = (1, 2), ["r2/c"] = (0, 1) }, Priorities(assignment));
    }
    /// <summary>A DestinationRule for echo whose <c>localityLbSetting</c> is <paramref name="setting"/> (flow YAML).</summary>
    private static string Rule(string setting) => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: echo, namespace: default}
        spec:
          host: echo
          trafficPolicy:
            loadBalancer: {localityLbSetting: {{setting}}}
            outlierDetection: {consecutive5xxErrors: 5}
        """;

    [Fact]
    public async Task DestinationRuleFailover_PutsTheTargetRegionNext_ThenEnabledFalse_GivesOnePriority()
    {
        var files = new Dictionary<string, string>
        {
            ["echo.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("echo", 7000),
                MeshYaml.Slice("echo-a", "echo", 17000, [("10.0.0.1", true)], zone: "r1/a"),
                MeshYaml.Slice("echo-c", "echo", 17000, [("10.0.0.4", true)], zone: "r2/c"),
                MeshYaml.Slice("echo-d", "echo", 17000, [("10.0.0.5", true)], zone: "r3/d")),
            ["rule.yaml"] = Rule("{failover: [{from: r1, to: r3}]}"),
        };
        await using var server = await MeshServer.StartAsync(files);
        await using var client = AdsTestClient.Connect(server.XdsPort, locality: At("r1", "a"));
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
        var first = await client.ReceiveAsync();
        await client.AckAsync(first, [s_cluster]);

        await server.WriteConfigAsync("rule.yaml", Rule("{enabled: false}"));
        var second = await client.ReceiveAsync();

        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 1), ["r2/c"] = (2, 1), ["r3/d"] = (1, 1) }, Priorities(Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(first))));
        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 1), ["r2/c"] = (0, 1), ["r3/d"] = (0, 1) }, Priorities(Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(second))));
        Assert.NotEqual(first.VersionInfo, second.VersionInfo);
        Assert.Equal(0, server.ScopeCache(ProxylessDefault).VariantCount);
    }

    [Fact]
    public async Task DestinationRuleDistribute_WeighsEachProxysLocalitiesAsItsEntrySays_AllAtPriorityZero()
    {
        var files = ThreeZones();
        files["rule.yaml"] = Rule("""{distribute: [{from: "r1/a", to: {"r1/a": 70, "r2/*": 30}}, {from: "r1/b", to: {"r1/*": 100}}, {from: "r9", to: {"r2/*": 100}}]}""");
        await using var server = await MeshServer.StartAsync(files);
        await using var inA = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~a.default~default.svc.cluster.local", locality: At("r1", "a"));
        await using var inB = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.2~b.default~default.svc.cluster.local", locality: At("r1", "b"));
        await inA.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
        await inB.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);

        var fromA = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(await inA.ReceiveAsync()));
        var fromB = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(await inB.ReceiveAsync()));

        // r1/b is in no "to" of r1/a's entry: its locality stays, with no endpoints.
        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 70), ["r1/b"] = (0, 2), ["r2/c"] = (0, 30) }, Priorities(fromA));
        Assert.Empty(fromA.Endpoints.Single(e => e.Locality.Zone == "b").LbEndpoints);
        // "r1/*" shares 100 between r1/a (weight 1) and r1/b (weight 2): 34 and 67, rounded up as Istio does.
        Assert.Equal(new Dictionary<string, (uint, uint)> { ["r1/a"] = (0, 34), ["r1/b"] = (0, 67), ["r2/c"] = (0, 1) }, Priorities(fromB));
        Assert.Empty(fromB.Endpoints.Single(e => e.Locality.Zone == "c").LbEndpoints);

        // A proxy in a region with no endpoints of its own is still weighted by its entry.
        await using var inR9 = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.3~c.default~default.svc.cluster.local", locality: At("r9", "x"));
        await inR9.SendAsync(TypeUrls.ClusterLoadAssignment, [s_cluster]);
        var fromR9 = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(await inR9.ReceiveAsync()));
        Assert.Equal(["r2"], fromR9.Endpoints.Where(e => e.LbEndpoints.Count > 0).Select(e => e.Locality.Region));
        Assert.Equal(100u, fromR9.Endpoints.Single(e => e.Locality.Region == "r2").LoadBalancingWeight);
    }
}
