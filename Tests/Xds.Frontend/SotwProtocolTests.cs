using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// The State-of-the-World ADS protocol, driven by a C# client over a real Kestrel server
/// on 127.0.0.1 against the real control plane. The mesh here does not change.
/// </summary>
public sealed class SotwProtocolTests(SotwProtocolTests.StaticMesh mesh) : IClassFixture<SotwProtocolTests.StaticMesh>
{
    private const string Alpha = "alpha.default.svc.cluster.local";
    private const string Beta = "beta.default.svc.cluster.local";
    private static readonly string s_alphaCluster = $"outbound|8080||{Alpha}";
    private static readonly string s_betaCluster = $"outbound|9090||{Beta}";

    [Fact]
    public async Task WildcardCds_EmptyFirstRequest_ReturnsEveryClusterWithVersionAndNonce()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);

        var response = await client.ReceiveAsync();

        Assert.Equal(TypeUrls.Cluster, response.TypeUrl);
        Assert.NotEmpty(response.VersionInfo);
        Assert.NotEmpty(response.Nonce);
        var clusters = AdsTestClient.Unpack<Cluster>(response);
        Assert.Equal([s_alphaCluster, s_betaCluster], clusters.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(response.Resources, r => Assert.Equal(TypeUrls.Cluster, r.TypeUrl));
    }

    [Fact]
    public async Task ExplicitWildcard_StarName_ReturnsEveryListener()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Listener, ["*"]);

        var listeners = AdsTestClient.Unpack<Listener>(await client.ReceiveAsync());

        Assert.Equal([$"{Alpha}:8080", $"{Beta}:9090"], listeners.Select(l => l.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task NamedLds_ReturnsOnlyTheNamedListener_AndUnknownNamesAreAbsent()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Listener, [$"{Beta}:9090", "missing.default.svc.cluster.local:1"]);

        var listeners = AdsTestClient.Unpack<Listener>(await client.ReceiveAsync());

        Assert.Equal([$"{Beta}:9090"], listeners.Select(l => l.Name));
    }

    [Fact]
    public async Task NamedEdsAndRds_ReturnTheNamedResources()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_alphaCluster]);
        var endpoints = AdsTestClient.Unpack<ClusterLoadAssignment>(await client.ReceiveAsync());
        await client.SendAsync(TypeUrls.RouteConfiguration, [$"{Alpha}:8080"]);
        var routes = AdsTestClient.Unpack<RouteConfiguration>(await client.ReceiveAsync());

        var assignment = Assert.Single(endpoints);
        Assert.Equal(s_alphaCluster, assignment.ClusterName);
        Assert.Equal(["127.0.0.1:18080", "127.0.0.2:18080"], assignment.Endpoints.SelectMany(l => l.LbEndpoints)
            .Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}").Order(StringComparer.Ordinal));
        Assert.Equal($"{Alpha}:8080", Assert.Single(routes).Name);
    }

    [Fact]
    public async Task EmptyEdsRequest_IsNotAWildcard_AndGetsNoResources()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment);

        var response = await client.ReceiveAsync();

        Assert.Empty(response.Resources);
    }

    [Fact]
    public async Task Ack_IsRecorded_AndGetsNoResponse()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        await client.AckAsync(response);

        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        await Eventually.TrueAsync(async () =>
        {
            var status = await mesh.Server.Services.GetRequiredService<IMeshStateClient>().GetProxyStatusAsync(client.NodeId, CancellationToken.None);
            return status.Types.Any(t => t.TypeUrl == TypeUrls.Cluster && t.AckedVersion == response.VersionInfo);
        }, TimeSpan.FromSeconds(5), "the ProxyGrain records the ACK");
    }

    [Fact]
    public async Task Nack_IsRecordedWithItsError_AndTheVersionIsNotSentAgain()
    {
        const string nodeId = "sidecar~127.0.0.9~nack.default~default.svc.cluster.local";
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId);
        await client.SendAsync(TypeUrls.Cluster);
        var response = await client.ReceiveAsync();

        await client.NackAsync(response, acceptedVersion: string.Empty, error: "cluster rejected: test");

        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(500)));
        await Eventually.TrueAsync(async () =>
        {
            var status = await mesh.Server.Services.GetRequiredService<IMeshStateClient>().GetProxyStatusAsync(nodeId, CancellationToken.None);
            return status.Types.Any(t => t.TypeUrl == TypeUrls.Cluster && t.NackedVersion == response.VersionInfo && t.NackError == "cluster rejected: test");
        }, TimeSpan.FromSeconds(5), "the ProxyGrain records the NACK and its error");
    }

    [Fact]
    public async Task StaleNonce_IsIgnored_EvenWhenItChangesTheSubscription()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Listener, [$"{Alpha}:8080"]);
        var first = await client.ReceiveAsync();
        await client.SendAsync(TypeUrls.Listener, [$"{Alpha}:8080", $"{Beta}:9090"], first.VersionInfo, nonce: "stale-" + first.Nonce);

        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));

        await client.SendAsync(TypeUrls.Listener, [$"{Alpha}:8080", $"{Beta}:9090"], first.VersionInfo, first.Nonce);
        var second = await client.ReceiveAsync();
        Assert.Equal(2, second.Resources.Count);
        Assert.NotEqual(first.Nonce, second.Nonce);
    }

    [Fact]
    public async Task SubscriptionChange_OnAck_SendsTheNewSet()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster, [s_alphaCluster]);
        var first = await client.ReceiveAsync();

        await client.SendAsync(TypeUrls.Cluster, [s_betaCluster], first.VersionInfo, first.Nonce);
        var second = await client.ReceiveAsync();

        Assert.Equal([s_betaCluster], AdsTestClient.Unpack<Cluster>(second).Select(c => c.Name));
        Assert.NotEqual(first.VersionInfo, second.VersionInfo);
    }

    [Fact]
    public async Task UnknownType_GetsAnEmptyResponse_AndTheStreamCarriesOn()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", ["default"]);

        var response = await client.ReceiveAsync();
        await client.AckAsync(response, ["default"]);
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveAsync();

        Assert.Equal("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", response.TypeUrl);
        Assert.Empty(response.Resources);
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.Equal(2, clusters.Resources.Count);
    }

    [Fact]
    public async Task TwoStreamsOfOneNode_AreServedIndependently()
    {
        const string nodeId = "sidecar~127.0.0.7~twin.default~default.svc.cluster.local";
        await using var first = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId);
        await using var second = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId);

        await first.SendAsync(TypeUrls.Cluster);
        await second.SendAsync(TypeUrls.Cluster);
        var a = await first.ReceiveAsync();
        var b = await second.ReceiveAsync();

        Assert.Equal(a.VersionInfo, b.VersionInfo);
        await Eventually.TrueAsync(() => mesh.Server.Streams.Streams.Count(s => s.NodeId == nodeId) == 2, TimeSpan.FromSeconds(5), "both streams registered");
        await Eventually.TrueAsync(async () =>
            (await mesh.Server.Services.GetRequiredService<IMeshStateClient>().GetProxyStatusAsync(nodeId, CancellationToken.None)).OpenStreams == 2,
            TimeSpan.FromSeconds(5), "the ProxyGrain counts two open streams");
    }

    [Fact]
    public async Task StreamCancelledByTheClient_IsCleanedUp_AndOtherStreamsCarryOn()
    {
        const string nodeId = "sidecar~127.0.0.8~cancel.default~default.svc.cluster.local";
        await using var survivor = AdsTestClient.Connect(mesh.Server.XdsPort);
        await survivor.SendAsync(TypeUrls.Cluster);
        var before = await survivor.ReceiveAsync();
        var cancelled = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId);
        await cancelled.SendAsync(TypeUrls.Cluster);
        await cancelled.SendAsync(TypeUrls.Listener);

        cancelled.Cancel();
        await cancelled.DisposeAsync();

        await Eventually.TrueAsync(() => mesh.Server.Streams.Streams.All(s => s.NodeId != nodeId), TimeSpan.FromSeconds(5), "the cancelled stream leaves the registry");
        await survivor.SendAsync(TypeUrls.Listener);
        var after = await survivor.ReceiveAsync();
        Assert.Equal(TypeUrls.Listener, after.TypeUrl);
        Assert.NotEqual(before.Nonce, after.Nonce);
    }

    [Fact]
    public async Task FirstRequestWithoutNode_EndsThatStreamWithInvalidArgument()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster, withNode: false);

        var status = await client.WaitForEndAsync();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("node.id", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestWithoutTypeUrl_EndsThatStreamWithInvalidArgument()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(string.Empty);

        var status = await client.WaitForEndAsync();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("type_url", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeIdChangingMidStream_EndsThatStreamWithInvalidArgument()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await client.ReceiveAsync();

        await client.SendAsync(new Envoy.Service.Discovery.V3.DiscoveryRequest
        {
            TypeUrl = TypeUrls.Listener,
            Node = new Envoy.Config.Core.V3.Node { Id = "someone-else" },
        });
        var status = await client.WaitForEndAsync();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("node.id changed", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileRequests_TooManyNamesOrHugeNames_EndOnlyThatStream()
    {
        await using var bystander = AdsTestClient.Connect(mesh.Server.XdsPort);
        await bystander.SendAsync(TypeUrls.Cluster);
        await bystander.ReceiveAsync();
        await using var many = AdsTestClient.Connect(mesh.Server.XdsPort);
        await using var huge = AdsTestClient.Connect(mesh.Server.XdsPort);

        await many.SendAsync(TypeUrls.ClusterLoadAssignment, Enumerable.Range(0, 100_001).Select(i => "n" + i));
        await huge.SendAsync(TypeUrls.ClusterLoadAssignment, [new string('x', 5000)]);

        Assert.Equal(StatusCode.InvalidArgument, (await many.WaitForEndAsync()).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await huge.WaitForEndAsync()).StatusCode);
        await bystander.SendAsync(TypeUrls.Listener);
        Assert.Equal(TypeUrls.Listener, (await bystander.ReceiveAsync()).TypeUrl);
    }

    [Fact]
    public async Task GarbageBytes_EndThatStreamWithAnErrorStatus_AndOtherStreamsCarryOn()
    {
        await using var bystander = AdsTestClient.Connect(mesh.Server.XdsPort);
        await bystander.SendAsync(TypeUrls.Cluster);
        await bystander.ReceiveAsync();

        var status = await AdsTestClient.SendRawAsync(mesh.Server.XdsPort, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]);

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("DiscoveryRequest", status.Detail, StringComparison.Ordinal);
        await bystander.SendAsync(TypeUrls.Listener);
        Assert.Equal(TypeUrls.Listener, (await bystander.ReceiveAsync()).TypeUrl);
    }

    [Fact]
    public async Task SidecarIdNamingNoWorkload_IsRefusedWithTheReason_AndTheProxysIdentityIsKeptForOthers()
    {
        // As istiod refuses it: "sidecar~<not an IP>~…" with no INSTANCE_IPS cannot say which workload it serves.
        await using var refused = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId: "sidecar~not-an-ip~p.shop~shop.svc.cluster.local");
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId: "sidecar~127.0.0.9~reviews-v1-abc.shop~shop.svc.cluster.local", metadata: new Google.Protobuf.WellKnownTypes.Struct());
        await using var gateway = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId: "router~127.0.0.8~ingress-7d.istio-system~istio-system.svc.cluster.local", metadata: new Google.Protobuf.WellKnownTypes.Struct());

        await refused.SendAsync(TypeUrls.Cluster);
        await sidecar.SendAsync(TypeUrls.Cluster);
        await gateway.SendAsync(TypeUrls.Cluster);

        var status = await refused.WaitForEndAsync();
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("'not-an-ip' is not an IP address", status.Detail, StringComparison.Ordinal);
        Assert.Equal(TypeUrls.Cluster, (await sidecar.ReceiveAsync()).TypeUrl);
        Assert.Equal(TypeUrls.Cluster, (await gateway.ReceiveAsync()).TypeUrl);
        var grains = mesh.Server.Services.GetRequiredService<IGrainFactory>();
        await Eventually.TrueAsync(async () => (await grains.GetGrain<Mesh.Orleans.Grains.Interfaces.IProxyGrain>(gateway.NodeId).GetStatusAsync()).Node?.Identity is not null,
            TimeSpan.FromSeconds(10), "the gateway's ProxyGrain knows its identity");
        var sidecarIdentity = (await grains.GetGrain<Mesh.Orleans.Grains.Interfaces.IProxyGrain>(sidecar.NodeId).GetStatusAsync()).Node!.Identity!;
        var gatewayIdentity = (await grains.GetGrain<Mesh.Orleans.Grains.Interfaces.IProxyGrain>(gateway.NodeId).GetStatusAsync()).Node!.Identity!;
        Assert.Equal((Mesh.Orleans.Grains.Interfaces.Proxies.ProxyKind.Sidecar, "shop", "reviews-v1-abc.shop"), (sidecarIdentity.Kind, sidecarIdentity.Namespace, sidecarIdentity.WorkloadId));
        Assert.Equal((Mesh.Orleans.Grains.Interfaces.Proxies.ProxyKind.Router, "istio-system"), (gatewayIdentity.Kind, gatewayIdentity.Namespace));
    }

    /// <summary>A control plane serving two services that no test changes.</summary>
    public sealed class StaticMesh : IAsyncLifetime
    {
        public MeshServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["mesh.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("alpha", 8080),
                MeshYaml.Slice("alpha-1", "alpha", 18080, [("127.0.0.1", true), ("127.0.0.2", true), ("127.0.0.3", false)]),
                MeshYaml.Service("beta", 9090),
                MeshYaml.Slice("beta-1", "beta", 19090, [("127.0.0.4", true)])),
        });

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
