using System.Diagnostics;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// Config changes reaching open SotW streams: only what changed, in make-before-break order,
/// never a NACKed version again. Each test runs its own control plane and edits its YAML.
/// </summary>
public sealed class SotwPushTests(ITestOutputHelper output)
{
    private const string Alpha = "alpha.default.svc.cluster.local";
    private const string Beta = "beta.default.svc.cluster.local";
    private const string Gamma = "gamma.default.svc.cluster.local";
    private static readonly string s_alphaCluster = $"outbound|8080||{Alpha}";
    private static readonly string s_betaCluster = $"outbound|9090||{Beta}";

    private static Dictionary<string, string> TwoServices() => new()
    {
        ["alpha.yaml"] = MeshYaml.Documents(
            MeshYaml.Service("alpha", 8080),
            MeshYaml.Slice("alpha-1", "alpha", 18080, [("127.0.0.1", true)])),
        ["beta.yaml"] = MeshYaml.Documents(
            MeshYaml.Service("beta", 9090),
            MeshYaml.Slice("beta-1", "beta", 19090, [("127.0.0.4", true)])),
    };

    [Fact]
    public async Task EndpointSliceChange_SendsOnlyTheChangedAssignment_OnTheOpenStream()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        var clusters = await SubscribeAndAckAsync(client, TypeUrls.Cluster, []);
        var endpoints = await SubscribeAndAckAsync(client, TypeUrls.ClusterLoadAssignment, [s_alphaCluster, s_betaCluster]);
        Assert.Equal(2, endpoints.Resources.Count);

        var clock = Stopwatch.StartNew();
        await server.WriteConfigAsync("alpha.yaml", MeshYaml.Documents(
            MeshYaml.Service("alpha", 8080),
            MeshYaml.Slice("alpha-1", "alpha", 18080, [("127.0.0.1", true), ("127.0.0.2", true)])));
        var update = await client.ReceiveAsync();
        output.WriteLine($"file write to EDS response: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(TypeUrls.ClusterLoadAssignment, update.TypeUrl);
        var assignment = Assert.Single(AdsTestClient.Unpack<ClusterLoadAssignment>(update));
        Assert.Equal(s_alphaCluster, assignment.ClusterName);
        Assert.Equal(2, assignment.Endpoints.Sum(l => l.LbEndpoints.Count));
        await client.AckAsync(update, [s_alphaCluster, s_betaCluster]);
        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)), "no CDS, LDS or second EDS response for an endpoint change");
        Assert.NotEmpty(clusters.VersionInfo);
    }

    [Fact]
    public async Task ServiceDeleted_ListenerGoesBeforeItsCluster()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await SubscribeAndAckAsync(client, TypeUrls.Cluster, []);
        await SubscribeAndAckAsync(client, TypeUrls.Listener, []);

        server.DeleteConfig("beta.yaml");
        var first = await client.ReceiveAsync();
        await client.AckAsync(first);
        var second = await client.ReceiveAsync();

        Assert.Equal(TypeUrls.Listener, first.TypeUrl);
        Assert.Equal([$"{Alpha}:8080"], AdsTestClient.Unpack<Listener>(first).Select(l => l.Name));
        Assert.Equal(TypeUrls.Cluster, second.TypeUrl);
        Assert.Equal([s_alphaCluster], AdsTestClient.Unpack<Cluster>(second).Select(c => c.Name));
    }

    [Fact]
    public async Task RouteToANewService_TheClusterArrivesBeforeTheRouteThatNamesIt()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await SubscribeAndAckAsync(client, TypeUrls.Cluster, []);
        await SubscribeAndAckAsync(client, TypeUrls.Listener, []);
        await SubscribeAndAckAsync(client, TypeUrls.RouteConfiguration, [$"{Alpha}:8080"]);

        await server.WriteConfigAsync("gamma.yaml", MeshYaml.Documents(
            MeshYaml.Service("gamma", 8080),
            MeshYaml.Slice("gamma-1", "gamma", 18081, [("127.0.0.5", true)]),
            MeshYaml.WeightedSplit("alpha", "alpha", 8080, ("alpha", 50), ("gamma", 50))));

        var seen = new List<DiscoveryResponse>();
        while (!seen.Any(r => r.TypeUrl == TypeUrls.RouteConfiguration))
        {
            seen.Add(await client.ReceiveAsync());
        }

        var clusterIndex = seen.FindIndex(r => r.TypeUrl == TypeUrls.Cluster
            && AdsTestClient.Unpack<Cluster>(r).Any(c => c.Name == $"outbound|8080||{Gamma}"));
        var routeIndex = seen.FindIndex(r => r.TypeUrl == TypeUrls.RouteConfiguration);
        Assert.True(clusterIndex >= 0 && clusterIndex < routeIndex, $"order was {string.Join(", ", seen.Select(r => r.TypeUrl.Split('.').Last()))}");
        var route = Assert.Single(AdsTestClient.Unpack<RouteConfiguration>(seen[routeIndex]));
        Assert.Equal(
            [$"outbound|8080||{Alpha}", $"outbound|8080||{Gamma}"],
            route.VirtualHosts[0].Routes[0].Route_.WeightedClusters.Clusters.Select(c => c.Name));
    }

    [Fact]
    public async Task DestinationPortChangeInAnotherFile_ReachesTheRouteThatInferredIt()
    {
        // Only back.yaml changes: the unchanged front.yaml objects arrive as the same instances,
        // and the route of front must still follow back's new port.
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["front.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("front", 8080),
                """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: front, namespace: default}
                spec:
                  hosts: [front]
                  http:
                    - route:
                        - destination: {host: back}
                """),
            ["back.yaml"] = MeshYaml.Service("back", 9000),
        });
        await using var client = AdsTestClient.Connect(server.XdsPort);
        var first = await SubscribeAndAckAsync(client, TypeUrls.RouteConfiguration, ["front.default.svc.cluster.local:8080"]);
        Assert.Equal("outbound|9000||back.default.svc.cluster.local", AdsTestClient.Unpack<RouteConfiguration>(first).Single().VirtualHosts[0].Routes[0].Route_.Cluster);

        await server.WriteConfigAsync("back.yaml", MeshYaml.Service("back", 9001));
        var update = await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration);

        Assert.Equal("outbound|9001||back.default.svc.cluster.local", AdsTestClient.Unpack<RouteConfiguration>(update).Single().VirtualHosts[0].Routes[0].Route_.Cluster);
    }

    [Fact]
    public async Task NackedVersion_IsNotResent_ButTheNextChangeIs()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.ReceiveAsync();
        await client.NackAsync(first, acceptedVersion: string.Empty);
        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));

        await server.WriteConfigAsync("gamma.yaml", MeshYaml.Service("gamma", 8080));
        var next = await client.ReceiveAsync();

        Assert.Equal(TypeUrls.Cluster, next.TypeUrl);
        Assert.NotEqual(first.VersionInfo, next.VersionInfo);
        Assert.Equal(3, next.Resources.Count);
    }

    [Fact]
    public async Task DirectoryEvents_CreateRenameDelete_ReachTheOpenStream()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await SubscribeAndAckAsync(client, TypeUrls.Cluster, []);

        var clock = Stopwatch.StartNew();
        await File.WriteAllTextAsync(Path.Combine(server.ConfigDirectory, "gamma.yaml"), MeshYaml.Service("gamma", 8080));
        var created = await client.ReceiveAsync();
        output.WriteLine($"create to CDS response: {clock.ElapsedMilliseconds} ms");
        await client.AckAsync(created);
        Assert.Contains($"outbound|8080||{Gamma}", AdsTestClient.Unpack<Cluster>(created).Select(c => c.Name));

        File.Move(Path.Combine(server.ConfigDirectory, "gamma.yaml"), Path.Combine(server.ConfigDirectory, "gamma.txt"));
        var renamedAway = await client.ReceiveAsync();
        await client.AckAsync(renamedAway);
        Assert.DoesNotContain($"outbound|8080||{Gamma}", AdsTestClient.Unpack<Cluster>(renamedAway).Select(c => c.Name));

        File.Move(Path.Combine(server.ConfigDirectory, "gamma.txt"), Path.Combine(server.ConfigDirectory, "gamma.yml"));
        var renamedIn = await client.ReceiveAsync();
        await client.AckAsync(renamedIn);
        Assert.Contains($"outbound|8080||{Gamma}", AdsTestClient.Unpack<Cluster>(renamedIn).Select(c => c.Name));

        clock.Restart();
        server.DeleteConfig("alpha.yaml");
        var deleted = await client.ReceiveAsync();
        output.WriteLine($"delete to CDS response: {clock.ElapsedMilliseconds} ms");
        Assert.Equal(
            new[] { s_betaCluster, $"outbound|8080||{Gamma}" }.Order(StringComparer.Ordinal),
            AdsTestClient.Unpack<Cluster>(deleted).Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FileTurnedInvalid_KeepsItsLastGoodObjects_AndOtherFilesStillUpdate()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await SubscribeAndAckAsync(client, TypeUrls.Cluster, []);

        await server.WriteConfigAsync("alpha.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: alpha\n  ports: [");
        await server.WriteConfigAsync("gamma.yaml", MeshYaml.Service("gamma", 8080));
        var update = await client.ReceiveAsync();

        Assert.Equal(
            new[] { s_alphaCluster, s_betaCluster, $"outbound|8080||{Gamma}" }.Order(StringComparer.Ordinal),
            AdsTestClient.Unpack<Cluster>(update).Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    private static async Task<DiscoveryResponse> SubscribeAndAckAsync(AdsTestClient client, string typeUrl, IReadOnlyList<string> names)
    {
        await client.SendAsync(typeUrl, names);
        var response = await client.ReceiveTypeAsync(typeUrl);
        await client.AckAsync(response, names);
        return response;
    }
}
