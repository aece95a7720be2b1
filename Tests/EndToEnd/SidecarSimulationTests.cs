using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// Calls followed through what a real control plane serves the productpage sidecar of the
/// bookinfo sample, as Envoy would route them: a scenario is one call and one expectation.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SidecarSimulationTests(SidecarServingTests.Bookinfo mesh) : IClassFixture<SidecarServingTests.Bookinfo>, IAsyncLifetime
{
    private const string ProductpageNode = "sidecar~127.1.0.1~productpage-v1-7d9c5b.bookinfo~bookinfo.svc.cluster.local";
    private const string ProductpageIp = "127.1.0.1";
    private const string Reviews = "outbound|9080||reviews.bookinfo.svc.cluster.local";

    private AdsTestClient _client = null!;
    private Simulator _sidecar = null!;

    public async Task InitializeAsync()
    {
        _client = AdsTestClient.Connect(mesh.Server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
        _sidecar = new Simulator(await AdsProxyConfig.FetchAsync(_client));
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public void ProductpageToReviews_LandsInReviewsOutboundCluster_WithItsThreePods()
    {
        var result = _sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080)).ShouldReach(Reviews);

        Assert.Equal("0.0.0.0_9080", result.Listener);
        Assert.Equal("virtualOutbound", result.HandedOffFrom);
        Assert.Equal("9080", result.RouteConfiguration);
        Assert.Equal("reviews.bookinfo.svc.cluster.local:9080", result.VirtualHost);
        Assert.Equal(["127.1.0.3:9080", "127.1.0.4:9080", "127.1.0.5:9080"], result.Endpoints.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("reviews")]
    [InlineData("reviews.bookinfo")]
    [InlineData("reviews.bookinfo.svc:9080")]
    [InlineData("reviews.bookinfo.svc.cluster.local:9080")]
    [InlineData("127.96.0.12:9080")]
    public void EveryNameOfReviews_LandsInItsCluster(string authority) =>
        _sidecar.Simulate(Call.Http(authority, "127.96.0.12", 9080)).ShouldReach(Reviews);

    [Fact]
    public void AnHttp2CallToDetails_LandsInDetails() =>
        _sidecar.Simulate(Call.Http("details:9080", "127.96.0.11", 9080).OverHttp2()).ShouldReach("outbound|9080||details.bookinfo.svc.cluster.local");

    [Fact]
    public void ATcpCallToMongodb_LandsInItsClusterThroughItsOwnListener()
    {
        var result = _sidecar.Simulate(Call.Tcp("127.96.0.14", 27017)).ShouldReach("outbound|27017||mongodb.bookinfo.svc.cluster.local");

        Assert.Equal("127.96.0.14_27017", result.Listener);
    }

    [Fact]
    public void AnUnknownDestination_PassesThrough_ByDefault()
    {
        var tcp = _sidecar.Simulate(Call.Tcp("127.55.0.1", 8443)).ShouldReach("PassthroughCluster");
        var http = _sidecar.Simulate(Call.Http("unknown.example.com:9080", "127.55.0.1", 9080)).ShouldReach("PassthroughCluster");

        Assert.Equal("virtualOutbound", tcp.Listener);
        Assert.Equal(["127.55.0.1:8443"], tcp.Endpoints);
        Assert.Equal("allow_any", http.VirtualHost);
        Assert.Equal(["127.55.0.1:9080"], http.Endpoints);
    }

    [Fact]
    public void ACallToThePodsOwnIpOnItsServicePort_LandsInTheInboundCluster()
    {
        var result = _sidecar.Simulate(Call.Http("productpage:9080", ProductpageIp, 9080).Inbound()).ShouldReach("inbound|9080||");

        Assert.Equal("virtualInbound", result.Listener);
        Assert.Equal(["127.0.0.1:9080"], result.Endpoints);
    }

    [Fact]
    public void AnInboundCallToAPortNoServiceDeclares_PassesThroughToTheWorkload()
    {
        var result = _sidecar.Simulate(Call.Tcp(ProductpageIp, 7777).Inbound()).ShouldReach("InboundPassthroughCluster");

        Assert.Equal(["127.1.0.1:7777"], result.Endpoints);
    }

    [Fact]
    public void NoRouteServed_NamesAClusterTheSidecarLacks_AndNoRouteConfigurationIsOneEnvoyRejects()
    {
        foreach (var routes in _sidecar.Config.Routes.Values)
        {
            Assert.Null(VirtualHostMatcher.Validate(routes));
            foreach (var route in routes.VirtualHosts.SelectMany(h => h.Routes))
            {
                var clusters = route.Route_ is null ? [] : route.Route_.WeightedClusters?.Clusters.Select(c => c.Name).ToList() ?? [route.Route_.Cluster];
                Assert.All(clusters, c => Assert.Contains(c, _sidecar.Config.Clusters.Keys));
            }
        }
    }

    // A bug the simulator found: a headless TCP service's listener was named 0.0.0.0_<port>,
    // the name of the port's HTTP listener, and replaced it. It now gets one listener per
    // endpoint address, as Istio builds it.
    [Fact]
    public async Task AHeadlessTcpServiceOnAnHttpPort_DoesNotTakeOverThatPortsHttpTraffic()
    {
        var sidecar = await ProductpageWithAsync("""
            apiVersion: v1
            kind: Service
            metadata:
              name: legacy
              namespace: bookinfo
            spec:
              clusterIP: None
              ports:
                - name: tcp-legacy
                  port: 9080
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: legacy-abcde
              namespace: bookinfo
              labels:
                kubernetes.io/service-name: legacy
            addressType: IPv4
            ports:
              - name: tcp-legacy
                port: 9080
                protocol: TCP
            endpoints:
              - addresses: ["127.1.0.9"]
                conditions:
                  ready: true
            """);

        sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080)).ShouldReach(Reviews);
        var legacy = sidecar.Simulate(Call.Tcp("127.1.0.9", 9080)).ShouldReach("outbound|9080||legacy.bookinfo.svc.cluster.local");
        Assert.Equal("127.1.0.9_9080", legacy.Listener);
        Assert.Equal(["127.1.0.9:9080"], legacy.Endpoints);
    }

    // Another bug the simulator found; the test states what Envoy requires and is skipped until
    // the translation is fixed. Remove the Skip to check a fix.
    [Fact(Skip = "Bug: RouteTranslator.Domains gives every service its short names (reviews, reviews:9080) whatever the proxy's namespace, so two namespaces' reviews on one port share a domain and Envoy rejects the port's RouteConfiguration")]
    public async Task ASameNamedServiceInAnotherNamespace_LeavesThePortsRouteConfigurationValid()
    {
        var sidecar = await ProductpageWithAsync("""
            apiVersion: v1
            kind: Service
            metadata:
              name: reviews
              namespace: other
            spec:
              clusterIP: 127.96.0.40
              ports:
                - name: http
                  port: 9080
            """);

        sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080)).ShouldReach(Reviews);
        sidecar.Simulate(Call.Http("reviews.other:9080", "127.96.0.40", 9080)).ShouldReach("outbound|9080||reviews.other.svc.cluster.local");
    }

    /// <summary>The productpage sidecar's configuration from a control plane serving bookinfo and <paramref name="extraYaml"/>.</summary>
    private static async Task<Simulator> ProductpageWithAsync(string extraYaml)
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["bookinfo.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "bookinfo.yaml")),
            ["extra.yaml"] = extraYaml,
        });
        await using var client = AdsTestClient.Connect(server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
        return new Simulator(await AdsProxyConfig.FetchAsync(client));
    }
}
