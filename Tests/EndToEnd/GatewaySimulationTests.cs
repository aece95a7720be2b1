using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// Calls into the bookinfo sample's ingress gateway, followed through what a real control plane
/// serves a gateway proxy (node id <c>router~…</c>, labels <c>istio: ingressgateway</c>) as Envoy
/// would route them: the Gateway opens port 80 for <c>bookinfo.example</c> and
/// <c>www.bookinfo.example</c>, and the VirtualService bound to it sends <c>/productpage</c>,
/// <c>/static</c> and <c>/api/v1/products</c> to productpage.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewaySimulationTests(SidecarServingTests.Bookinfo mesh) : IClassFixture<SidecarServingTests.Bookinfo>, IAsyncLifetime
{
    private const string IngressNode = "router~127.1.0.20~istio-ingressgateway-5d8c.istio-system~istio-system.svc.cluster.local";
    private const string Productpage = "outbound|9080||productpage.bookinfo.svc.cluster.local";

    private AdsTestClient _client = null!;
    private Simulator _gateway = null!;

    public async Task InitializeAsync()
    {
        _client = AdsTestClient.Connect(mesh.Server.XdsPort, IngressNode, metadata: SidecarServingTests.GatewayMetadata());
        _gateway = new Simulator(await AdsProxyConfig.FetchAsync(_client));
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Theory]
    [InlineData("bookinfo.example", "/productpage")]
    [InlineData("bookinfo.example:80", "/productpage")]
    [InlineData("www.bookinfo.example", "/static/css/site.css")]
    [InlineData("BOOKINFO.example", "/api/v1/products/1")]
    public void HostBookinfoExample_IsRoutedToProductpage(string authority, string path)
    {
        var result = _gateway.Simulate(Call.Http(authority, "127.0.0.1", 80).Direct().WithPath(path)).ShouldReach(Productpage);

        Assert.Equal("0.0.0.0_80", result.Listener);
        Assert.Equal("http.80", result.RouteConfiguration);
        Assert.Equal("bookinfo.example:80", result.VirtualHost);
        Assert.Equal(["127.1.0.1:9080"], result.Endpoints);
    }

    [Fact]
    public void APathNoRouteMatches_AndAHostTheGatewayDoesNotOpen_GetNoRoute()
    {
        _gateway.Simulate(Call.Http("bookinfo.example", "127.0.0.1", 80).Direct().WithPath("/admin")).ShouldFail(SimulationFailure.NoRoute);
        _gateway.Simulate(Call.Http("reviews.bookinfo.svc.cluster.local", "127.0.0.1", 80).Direct().WithPath("/productpage")).ShouldFail(SimulationFailure.NoVirtualHost);
        _gateway.Simulate(Call.Http("bookinfo.example", "127.0.0.1", 8080).Direct()).ShouldFail(SimulationFailure.NoListener);
    }

    [Fact]
    public void TheGateway_HasNoSidecarListeners_AndEveryRouteNamesAClusterItHas()
    {
        Assert.DoesNotContain(_gateway.Config.Listeners, l => l.Name is "virtualOutbound" or "virtualInbound");
        Assert.DoesNotContain(_gateway.Config.Listeners, l => l.ApiListener is not null);
        foreach (var route in _gateway.Config.Routes.Values.SelectMany(r => r.VirtualHosts).SelectMany(h => h.Routes))
        {
            Assert.Contains(route.Route_.Cluster, _gateway.Config.Clusters.Keys);
        }

        // The VirtualService bound only to the gateway adds no hostname to the mesh.
        Assert.DoesNotContain(_gateway.Config.Clusters.Keys, c => c.EndsWith("|bookinfo.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AGatewayOtherLabelsDoNotSelect_GetsTheMeshButNoListener()
    {
        await using var egress = AdsTestClient.Connect(mesh.Server.XdsPort, "router~127.1.0.21~istio-egressgateway-1.istio-system~istio-system.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata("egressgateway"));
        var config = await AdsProxyConfig.FetchAsync(egress);

        Assert.Empty(config.Listeners);
        Assert.Contains(Productpage, config.Clusters.Keys);
    }

    [Fact]
    public async Task ANewGatewayAndVirtualService_ReachTheOpenStream_AndTheirDeletionTakesThemBack()
    {
        await using var gateway = AdsTestClient.Connect(mesh.Server.XdsPort, "router~127.1.0.22~istio-ingressgateway-2.istio-system~istio-system.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata());
        await gateway.SendAsync(TypeUrls.Listener);
        var first = await gateway.ReceiveTypeAsync(TypeUrls.Listener);
        Assert.Equal(["0.0.0.0_80"], AdsTestClient.Unpack<Listener>(first).Select(l => l.Name));
        await gateway.AckAsync(first);

        await mesh.Server.WriteConfigAsync("reviews-gateway.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: reviews-gateway, namespace: bookinfo}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http-reviews, protocol: HTTP}
                hosts: [reviews.example]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-edge, namespace: bookinfo}
            spec:
              hosts: [reviews.example]
              gateways: [reviews-gateway]
              http:
              - route:
                - destination: {host: reviews, subset: v3}
            """);

        await Eventually.TrueAsync(
            async () =>
            {
                var update = await gateway.ReceiveTypeAsync(TypeUrls.Listener);
                await gateway.AckAsync(update);
                return AdsTestClient.Unpack<Listener>(update).Any(l => l.Name == "0.0.0.0_8080");
            },
            TimeSpan.FromSeconds(20),
            "the gateway receives 0.0.0.0_8080");
        await gateway.SendAsync(TypeUrls.RouteConfiguration, ["http.8080"]);
        var routes = AdsTestClient.Unpack<RouteConfiguration>(await gateway.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
        Assert.Equal("outbound|9080|v3|reviews.bookinfo.svc.cluster.local", routes.VirtualHosts.Single().Routes.Single().Route_.Cluster);

        mesh.Server.DeleteConfig("reviews-gateway.yaml");
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await gateway.ReceiveTypeAsync(TypeUrls.Listener);
                await gateway.AckAsync(update);
                return AdsTestClient.Unpack<Listener>(update).Select(l => l.Name).SequenceEqual(["0.0.0.0_80"]);
            },
            TimeSpan.FromSeconds(20),
            "0.0.0.0_8080 is taken back");
    }
}
