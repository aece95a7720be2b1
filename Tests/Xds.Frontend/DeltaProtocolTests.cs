using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>The incremental (Delta) protocol and the per-type services, against the real control plane.</summary>
public sealed class DeltaProtocolTests
{
    private const string Alpha = "alpha.default.svc.cluster.local";
    private const string Beta = "beta.default.svc.cluster.local";
    private static readonly string s_alphaCluster = $"outbound|8080||{Alpha}";
    private static readonly string s_betaCluster = $"outbound|9090||{Beta}";

    private static Dictionary<string, string> TwoServices(params string[] alphaEndpoints) => new()
    {
        ["alpha.yaml"] = MeshYaml.Documents(
            MeshYaml.Service("alpha", 8080),
            MeshYaml.Slice("alpha-1", "alpha", 18080, (alphaEndpoints.Length == 0 ? ["127.0.0.1"] : alphaEndpoints).Select(a => (a, true)))),
        ["beta.yaml"] = MeshYaml.Documents(
            MeshYaml.Service("beta", 9090),
            MeshYaml.Slice("beta-1", "beta", 19090, [("127.0.0.4", true)])),
    };

    [Fact]
    public async Task LegacyWildcardCds_SendsEveryClusterWithItsContentHashAsVersion()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort);

        await client.SendAsync(TypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        Assert.Equal([s_alphaCluster, s_betaCluster], response.Resources.Select(r => r.Name));
        Assert.All(response.Resources, r => Assert.Equal(ResourceVersion.Of(r.Resource_.Value.Span), r.Version));
        Assert.NotEmpty(response.SystemVersionInfo);
        Assert.NotEmpty(response.Nonce);
        Assert.Empty(response.RemovedResources);
    }

    [Fact]
    public async Task NamedSubscriptions_SubscribeUnsubscribeAndResubscribe()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort);

        await client.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_alphaCluster]);
        var first = await client.ReceiveAsync();
        await client.AckAsync(first);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_betaCluster]);
        var second = await client.ReceiveAsync();
        await client.AckAsync(second);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, unsubscribe: [s_alphaCluster]);
        var nothingForUnsubscribe = await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300));
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_alphaCluster]);
        var third = await client.ReceiveAsync();

        Assert.Equal([s_alphaCluster], first.Resources.Select(r => r.Name));
        Assert.Equal([s_betaCluster], second.Resources.Select(r => r.Name));
        Assert.True(nothingForUnsubscribe);
        Assert.Equal([s_alphaCluster], third.Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task SubscribingToAResourceThatDoesNotExist_ReportsItRemovedOnce()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort);

        await client.SendAsync(TypeUrls.RouteConfiguration, subscribe: ["missing.default.svc.cluster.local:1"]);
        var response = await client.ReceiveAsync();
        await client.AckAsync(response);

        Assert.Equal(["missing.default.svc.cluster.local:1"], response.RemovedResources);
        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task DeletedService_IsReportedInRemovedResources_AfterListenersAndRoutes()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.ReceiveAsync());
        await client.SendAsync(TypeUrls.Listener);
        await client.AckAsync(await client.ReceiveAsync());

        server.DeleteConfig("beta.yaml");
        var first = await client.ReceiveAsync();
        var second = await client.ReceiveAsync();

        Assert.Equal((TypeUrls.Listener, $"{Beta}:9090"), (first.TypeUrl, Assert.Single(first.RemovedResources)));
        Assert.Equal((TypeUrls.Cluster, s_betaCluster), (second.TypeUrl, Assert.Single(second.RemovedResources)));
        Assert.Empty(second.Resources);
    }

    [Fact]
    public async Task EndpointChange_SendsOnlyThatAssignment_ToWildcardAndNamedSubscribers()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var wildcard = DeltaTestClient.Connect(server.XdsPort);
        await using var named = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.0.0.2~named.default~default.svc.cluster.local");
        await using var unrelated = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.0.0.3~unrelated.default~default.svc.cluster.local");
        await wildcard.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: ["*"]);
        await wildcard.AckAsync(await wildcard.ReceiveAsync());
        await named.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_alphaCluster]);
        await named.AckAsync(await named.ReceiveAsync());
        await unrelated.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [s_betaCluster]);
        await unrelated.AckAsync(await unrelated.ReceiveAsync());

        await server.WriteConfigAsync("alpha.yaml", TwoServices("127.0.0.1", "127.0.0.2")["alpha.yaml"]);
        var toWildcard = await wildcard.ReceiveAsync();
        var toNamed = await named.ReceiveAsync();

        Assert.Equal([s_alphaCluster], toWildcard.Resources.Select(r => r.Name));
        Assert.Equal([s_alphaCluster], toNamed.Resources.Select(r => r.Name));
        Assert.Equal(2, toNamed.Resources[0].Resource_.Unpack<ClusterLoadAssignment>().Endpoints.Sum(l => l.LbEndpoints.Count));
        Assert.True(await unrelated.NothingWithinAsync(TimeSpan.FromMilliseconds(300)), "a stream not subscribed to the assignment receives nothing");
    }

    [Fact]
    public async Task Nack_IsRecorded_AndTheNackedVersionsAreNotResent()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~dnack.default~default.svc.cluster.local");
        await client.SendAsync(TypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        await client.SendAsync(TypeUrls.Cluster, nonce: response.Nonce, error: "bad cluster");
        await client.SendAsync(TypeUrls.Cluster, nonce: "not-a-nonce-we-sent");

        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        await Eventually.TrueAsync(async () =>
        {
            var status = await server.Services.GetRequiredService<IMeshStateClient>().GetProxyStatusAsync(client.NodeId, CancellationToken.None);
            return status.Types.Any(t => t.TypeUrl == TypeUrls.Cluster && t.NackError == "bad cluster");
        }, TimeSpan.FromSeconds(5), "the NACK is recorded on the ProxyGrain");
    }

    [Fact]
    public async Task ReconnectToAnotherFrontend_WithInitialResourceVersions_ReceivesOnlyWhatChanged()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var other = await FrontendServer.StartAsync(server.GatewayPort);
        Dictionary<string, string> held;
        await using (var before = DeltaTestClient.Connect(server.XdsPort))
        {
            await before.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: ["*"]);
            held = (await before.ReceiveAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        held["outbound|1||gone.default.svc.cluster.local"] = "0123456789abcdef";
        await server.WriteConfigAsync("alpha.yaml", TwoServices("127.0.0.1", "127.0.0.9")["alpha.yaml"]);
        await Eventually.TrueAsync(() => other.Cache.Current.Of(TypeUrls.ClusterLoadAssignment)[s_alphaCluster].Version != held[s_alphaCluster],
            TimeSpan.FromSeconds(10), "the other frontend sees the change");
        await using var after = DeltaTestClient.Connect(other.XdsPort);
        await after.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: ["*"], initialVersions: held);
        var response = await after.ReceiveAsync();

        Assert.Equal([s_alphaCluster], response.Resources.Select(r => r.Name));
        Assert.Equal(["outbound|1||gone.default.svc.cluster.local"], response.RemovedResources);
    }

    [Fact]
    public async Task DeltaAndSotwClientsOfOneNode_SeeTheSameResourceVersions()
    {
        const string nodeId = "sidecar~127.0.0.1~both.default~default.svc.cluster.local";
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var delta = DeltaTestClient.Connect(server.XdsPort, nodeId);
        await using var sotw = AdsTestClient.Connect(server.XdsPort, nodeId);

        await delta.SendAsync(TypeUrls.Cluster);
        await sotw.SendAsync(TypeUrls.Cluster);
        var deltaVersions = (await delta.ReceiveAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        var sotwResponse = await sotw.ReceiveAsync();
        var sotwVersions = AdsTestClient.Unpack<Cluster>(sotwResponse).Zip(sotwResponse.Resources)
            .ToDictionary(p => p.First.Name, p => ResourceVersion.Of(p.Second.Value.Span));

        Assert.Equal(deltaVersions.OrderBy(p => p.Key), sotwVersions.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task UnknownType_GetsAnEmptyResponse_AndMissingNodeEndsTheStream()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var client = DeltaTestClient.Connect(server.XdsPort);
        await using var anonymous = DeltaTestClient.Connect(server.XdsPort);

        await client.SendAsync("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", subscribe: ["default"]);
        await anonymous.SendAsync(TypeUrls.Cluster, withNode: false);

        var response = await client.ReceiveAsync();
        Assert.Empty(response.Resources);
        Assert.Equal(StatusCode.InvalidArgument, (await anonymous.WaitForEndAsync()).StatusCode);
    }

    [Fact]
    public async Task PerTypeServices_ServeTheirTypeWithoutATypeUrl_AndRefuseAnother()
    {
        await using var server = await MeshServer.StartAsync(TwoServices());
        await using var delta = DeltaTestClient.ConnectClusters(server.XdsPort);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.XdsPort}");
        using var sotw = new Envoy.Service.Endpoint.V3.EndpointDiscoveryService.EndpointDiscoveryServiceClient(channel).StreamEndpoints();
        var listeners = new Envoy.Service.Listener.V3.ListenerDiscoveryService.ListenerDiscoveryServiceClient(channel);

        await delta.SendAsync(string.Empty);
        var clusters = await delta.ReceiveAsync();
        await sotw.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Envoy.Config.Core.V3.Node { Id = "eds-only" }, ResourceNames = { s_betaCluster } });
        Assert.True(await sotw.ResponseStream.MoveNext(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token));
        var fetched = await listeners.FetchListenersAsync(new DiscoveryRequest { ResourceNames = { $"{Alpha}:8080" } });
        await delta.SendAsync(TypeUrls.Listener);

        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.Equal(2, clusters.Resources.Count);
        Assert.Equal(TypeUrls.ClusterLoadAssignment, sotw.ResponseStream.Current.TypeUrl);
        Assert.Single(sotw.ResponseStream.Current.Resources);
        Assert.Single(fetched.Resources);
        Assert.Equal(StatusCode.InvalidArgument, (await delta.WaitForEndAsync()).StatusCode);
    }
}
