using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// An Envoy sidecar (an Istio node id without proxyless metadata) is served what istiod would
/// serve it: the shared outbound side of every sidecar, and its own workload's inbound side,
/// found from its IP among the endpoints of the bookinfo sample.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SidecarServingTests(SidecarServingTests.Bookinfo mesh) : IClassFixture<SidecarServingTests.Bookinfo>
{
    private const string ReviewsHost = "reviews.bookinfo.svc.cluster.local";

    /// <summary>Istio's node metadata of a sidecar in the bookinfo namespace.</summary>
    public static Struct SidecarMetadata(string ns = "bookinfo")
    {
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        return metadata;
    }

    /// <summary>Istio's node metadata of the ingress gateway: its namespace and its pod's labels.</summary>
    public static Struct GatewayMetadata(string istioLabel = "ingressgateway", string? ns = "istio-system")
    {
        var labels = new Struct();
        labels.Fields["istio"] = Value.ForString(istioLabel);
        labels.Fields["app"] = Value.ForString("istio-" + istioLabel);
        var metadata = new Struct();
        if (ns is not null)
        {
            metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        }

        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        return metadata;
    }

    [Fact]
    public async Task ASidecar_GetsTheSharedOutboundSide_InIstiosShapesAndNames()
    {
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, "sidecar~127.1.0.1~productpage-v1-7d9c5b.bookinfo~bookinfo.svc.cluster.local", metadata: SidecarMetadata());

        await sidecar.SendAsync(TypeUrls.Cluster);
        var clusters = AdsTestClient.Unpack<Cluster>(await sidecar.ReceiveTypeAsync(TypeUrls.Cluster)).ToDictionary(c => c.Name);
        await sidecar.SendAsync(TypeUrls.Listener);
        var listeners = AdsTestClient.Unpack<Listener>(await sidecar.ReceiveTypeAsync(TypeUrls.Listener)).ToDictionary(l => l.Name);

        Assert.Contains($"outbound|9080||{ReviewsHost}", clusters.Keys);
        Assert.Equal(Cluster.Types.DiscoveryType.OriginalDst, clusters["PassthroughCluster"].Type);
        Assert.Equal(Cluster.Types.DiscoveryType.Static, clusters["BlackHoleCluster"].Type);
        Assert.Equal("127.0.0.6", clusters["InboundPassthroughCluster"].UpstreamBindConfig.SourceAddress.Address);

        // No proxyless api_listener reaches a sidecar.
        Assert.DoesNotContain(listeners.Values, l => l.ApiListener is not null);

        var outbound = listeners["virtualOutbound"];
        Assert.True(outbound.UseOriginalDst);
        Assert.Equal(15001u, outbound.Address.SocketAddress.PortValue);

        var http = listeners["0.0.0.0_9080"];
        Assert.False(http.BindToPort);
        var manager = http.FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("9080", manager.Rds.RouteConfigName);
        Assert.Equal("envoy.filters.http.router", manager.HttpFilters[^1].Name);

        var mongo = listeners["127.96.0.14_27017"];
        Assert.Equal("tcp_proxy", mongo.FilterChains.Single().Filters.Single().Name.Split('.')[^1]);

        await sidecar.SendAsync(TypeUrls.RouteConfiguration, ["9080"]);
        var routes = AdsTestClient.Unpack<RouteConfiguration>(await sidecar.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
        var hosts = routes.VirtualHosts.ToDictionary(h => h.Name);
        Assert.Equal(
            ["details.bookinfo.svc.cluster.local:9080", "productpage.bookinfo.svc.cluster.local:9080", "ratings.bookinfo.svc.cluster.local:9080", $"{ReviewsHost}:9080", "allow_any"],
            routes.VirtualHosts.Select(h => h.Name));
        Assert.Contains("reviews", hosts[$"{ReviewsHost}:9080"].Domains);
        Assert.Contains("127.96.0.12:9080", hosts[$"{ReviewsHost}:9080"].Domains);
        Assert.Equal(["*"], hosts["allow_any"].Domains);
        Assert.Equal("PassthroughCluster", hosts["allow_any"].Routes.Single().Route_.Cluster);
    }

    [Fact]
    public async Task ASidecar_GetsItsOwnWorkloadsInboundSide_FoundFromItsIp()
    {
        await using var reviews = AdsTestClient.Connect(mesh.Server.XdsPort, "sidecar~127.1.0.4~reviews-v2-7d9c5b.bookinfo~bookinfo.svc.cluster.local", metadata: SidecarMetadata());
        await using var mongo = AdsTestClient.Connect(mesh.Server.XdsPort, "sidecar~127.1.0.7~mongodb-0.bookinfo~bookinfo.svc.cluster.local", metadata: SidecarMetadata());

        await reviews.SendAsync(TypeUrls.Listener);
        var inbound = AdsTestClient.Unpack<Listener>(await reviews.ReceiveTypeAsync(TypeUrls.Listener)).Single(l => l.Name == "virtualInbound");
        Assert.Equal(15006u, inbound.Address.SocketAddress.PortValue);
        var chain = inbound.FilterChains.Single(c => c.FilterChainMatch.DestinationPort == 9080);
        var manager = chain.Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("inbound|9080||", manager.RouteConfig.VirtualHosts.Single().Routes.Single().Route_.Cluster);
        Assert.Equal("InboundPassthroughCluster", inbound.FilterChains[^1].Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>().Cluster);

        await reviews.SendAsync(TypeUrls.Cluster);
        var own = AdsTestClient.Unpack<Cluster>(await reviews.ReceiveTypeAsync(TypeUrls.Cluster)).Single(c => c.Name == "inbound|9080||");
        Assert.Equal(9080u, own.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.PortValue);

        await mongo.SendAsync(TypeUrls.Listener);
        var mongoInbound = AdsTestClient.Unpack<Listener>(await mongo.ReceiveTypeAsync(TypeUrls.Listener)).Single(l => l.Name == "virtualInbound");
        Assert.Equal("inbound|27017||", mongoInbound.FilterChains.Single(c => c.FilterChainMatch.DestinationPort == 27017)
            .Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>().Cluster);
    }

    [Fact]
    public async Task AWorkloadThatGainsAPort_IsSentItsNewInboundSide_OnTheOpenStream()
    {
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, "sidecar~127.1.0.50~late-0.bookinfo~bookinfo.svc.cluster.local", metadata: SidecarMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        var first = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        Assert.DoesNotContain(AdsTestClient.Unpack<Cluster>(first), c => c.Name.StartsWith("inbound|", StringComparison.Ordinal));
        await sidecar.AckAsync(first);

        // The pod becomes an endpoint of a new Service: its sidecar learns its inbound port.
        await mesh.Server.WriteConfigAsync("late.yaml", MeshYaml.Documents(
            MeshYaml.Service("late", 7070, ns: "bookinfo"),
            MeshYaml.Slice("late-1", "late", 7071, [("127.1.0.50", true)], ns: "bookinfo")));

        await Eventually.TrueAsync(
            async () =>
            {
                var update = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
                await sidecar.AckAsync(update);
                return AdsTestClient.Unpack<Cluster>(update).Any(c => c.Name == "inbound|7071||");
            },
            TimeSpan.FromSeconds(20),
            "the sidecar receives inbound|7071||");
    }

    /// <summary>A control plane serving the bookinfo sample.</summary>
    public sealed class Bookinfo : IAsyncLifetime
    {
        public MeshServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["bookinfo.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "bookinfo.yaml")),
        });

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
