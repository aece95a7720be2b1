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
    private const string Details = "outbound|9080||details.bookinfo.svc.cluster.local";
    private const string ReviewsV1 = "outbound|9080|v1|reviews.bookinfo.svc.cluster.local";
    private const string ReviewsV2 = "outbound|9080|v2|reviews.bookinfo.svc.cluster.local";

    /// <summary>A 50/50 TCP split of mongodb between two subsets, and a headless service with a destination subnet route.</summary>
    internal const string TcpRoutesYaml = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: mongodb, namespace: bookinfo}
        spec:
          host: mongodb
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: mongodb, namespace: bookinfo}
        spec:
          hosts: [mongodb]
          tcp:
            - match: [{port: 27017}]
              route:
                - {destination: {host: mongodb, subset: v1}, weight: 50}
                - {destination: {host: mongodb, subset: v2}, weight: 50}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: legacy-db, namespace: bookinfo}
        spec:
          clusterIP: None
          ports: [{name: tcp-db, port: 5432}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: legacy-db-abcde
          namespace: bookinfo
          labels: {kubernetes.io/service-name: legacy-db}
        addressType: IPv4
        ports: [{name: tcp-db, port: 5432, protocol: TCP}]
        endpoints:
          - addresses: ["127.1.0.20"]
          - addresses: ["127.1.1.20"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: legacy-db, namespace: bookinfo}
        spec:
          hosts: [legacy-db]
          tcp:
            - match: [{destinationSubnets: [127.1.1.0/24]}]
              route: [{destination: {host: mongodb, port: {number: 27017}}}]
        """;

    /// <summary>An HTTPS service whose TLS routes pick subsets by SNI.</summary>
    internal const string TlsRoutesYaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: vault, namespace: bookinfo}
        spec:
          clusterIP: 127.96.0.30
          ports: [{name: https, port: 443}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: vault-abcde
          namespace: bookinfo
          labels: {kubernetes.io/service-name: vault}
        addressType: IPv4
        ports: [{name: https, port: 443, protocol: TCP}]
        endpoints:
          - addresses: ["127.1.0.30"]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: vault, namespace: bookinfo}
        spec:
          host: vault
          subsets:
            - {name: primary, labels: {role: primary}}
            - {name: standby, labels: {role: standby}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vault, namespace: bookinfo}
        spec:
          hosts: [vault.bookinfo.svc.cluster.local, "*.vault.example.com"]
          tls:
            - match: [{sniHosts: [vault.bookinfo.svc.cluster.local]}]
              route: [{destination: {host: vault, subset: primary}}]
            - match: [{sniHosts: ["*.vault.example.com"], port: 443}]
              route:
                - {destination: {host: vault, subset: primary}, weight: 20}
                - {destination: {host: vault, subset: standby}, weight: 80}
        """;

    /// <summary>A service whose port has no name and so no declared protocol, with an HTTP route by header.</summary>
    internal const string SniffedPortYaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: legacy, namespace: bookinfo}
        spec:
          clusterIP: 127.96.0.40
          ports: [{port: 8765}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: legacy-abcde
          namespace: bookinfo
          labels: {kubernetes.io/service-name: legacy}
        addressType: IPv4
        ports: [{port: 8765, protocol: TCP}]
        endpoints:
          - addresses: ["127.1.0.40"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: legacy, namespace: bookinfo}
        spec:
          hosts: [legacy]
          http:
            - match: [{headers: {x-to: {exact: details}}}]
              route: [{destination: {host: details, port: {number: 9080}}}]
            - route: [{destination: {host: legacy}}]
        """;

    private AdsTestClient _client = null!;
    private Simulator _sidecar = null!;

    public async Task InitializeAsync()
    {
        _client = AdsTestClient.Connect(mesh.Server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
        _sidecar = new Simulator(await AdsProxyConfig.FetchAsync(_client));
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public void ProductpageToDetails_LandsInDetailsOutboundCluster_ThroughIstiosListenerAndRoutes()
    {
        var result = _sidecar.Simulate(Call.Http("details:9080", "127.96.0.11", 9080)).ShouldReach(Details);

        Assert.Equal("0.0.0.0_9080", result.Listener);
        Assert.Equal("virtualOutbound", result.HandedOffFrom);
        Assert.Equal("9080", result.RouteConfiguration);
        Assert.Equal("details.bookinfo.svc.cluster.local:9080", result.VirtualHost);
        Assert.Equal(["127.1.0.2:9080"], result.Endpoints);
    }

    [Theory]
    [InlineData("details")]
    [InlineData("details.bookinfo")]
    [InlineData("details.bookinfo.svc:9080")]
    [InlineData("details.bookinfo.svc.cluster.local:9080")]
    [InlineData("127.96.0.11:9080")]
    public void EveryNameOfDetails_LandsInItsCluster(string authority) =>
        _sidecar.Simulate(Call.Http(authority, "127.96.0.11", 9080)).ShouldReach(Details);

    [Fact]
    public void ProductpageToReviews_SplitsEightyTwenty_BetweenTheV1AndV2Subsets_WithTheRoutesTimeoutAndRetries()
    {
        var landed = _sidecar.Distribute(Call.Http("reviews:9080", "127.96.0.12", 9080), 2000, seed: 7);

        Assert.Equal([ReviewsV1, ReviewsV2], landed.Keys);
        Assert.InRange(landed[ReviewsV1], 1520, 1680);
        var v1 = _sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080), new Random(1));
        var action = v1.MatchedRoute!.Route_;
        Assert.Equal(TimeSpan.FromSeconds(2), action.Timeout.ToTimeSpan());
        Assert.Equal(3u, action.RetryPolicy.NumRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), action.RetryPolicy.PerTryTimeout.ToTimeSpan());

        // Each subset holds only the endpoints whose pod carries its version label.
        Assert.Equal(["127.1.0.3"], _sidecar.Config.Assignments[ReviewsV1].Endpoints.SelectMany(e => e.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address));
        Assert.Equal(["127.1.0.4"], _sidecar.Config.Assignments[ReviewsV2].Endpoints.SelectMany(e => e.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address));
    }

    [Fact]
    public void TheUserJason_GoesToReviewsV2()
    {
        var result = _sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080).WithHeader("end-user", "jason")).ShouldReach(ReviewsV2);

        Assert.Equal("jason", result.Route);
        Assert.Equal(["127.1.0.4:9080"], result.Endpoints);
    }

    [Fact]
    public void CallsToRatings_CarryTheFaultInjection_HalfAbortedWith503()
    {
        var result = _sidecar.Simulate(Call.Http("ratings:9080", "127.96.0.13", 9080)).ShouldReach("outbound|9080|v1|ratings.bookinfo.svc.cluster.local");

        var fault = result.MatchedRoute!.TypedPerFilterConfig["envoy.filters.http.fault"].Unpack<Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault>();
        Assert.Equal(503u, fault.Abort.HttpStatus);
        // As Istio writes percentages: parts per million.
        Assert.Equal((500_000u, Envoy.Type.V3.FractionalPercent.Types.DenominatorType.Million), (fault.Abort.Percentage.Numerator, fault.Abort.Percentage.Denominator));
        Assert.Equal(TimeSpan.FromMilliseconds(100), fault.Delay.FixedDelay.ToTimeSpan());
        Assert.Contains(_sidecar.Config.Listeners.Single(l => l.Name == "0.0.0.0_9080").FilterChains[0].Filters[0].TypedConfig
            .Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>().HttpFilters, f => f.Name == "envoy.filters.http.fault");
    }

    [Fact]
    public async Task UnderRegistryOnly_AnUnknownDestinationIsDropped_AndHttpToItAnswered502()
    {
        var sidecar = await ProductpageWithAsync(string.Empty, registryOnly: true);

        sidecar.Simulate(Call.Tcp("127.55.0.1", 8443)).ShouldReach("BlackHoleCluster");
        Assert.Equal("direct_response 502", sidecar.Simulate(Call.Http("unknown.example.com:9080", "127.55.0.1", 9080)).Destination);
        sidecar.Simulate(Call.Http("details:9080", "127.96.0.11", 9080)).ShouldReach(Details);
    }

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
    public void AnEgressCallToTheServiceEntrysHost_LandsInItsDnsCluster_NotThePassthrough()
    {
        var result = _sidecar.Simulate(Call.Http("httpbin.example.org", "127.55.0.9", 80)).ShouldReach("outbound|80||httpbin.example.org");

        Assert.Equal(("0.0.0.0_80", "80", "httpbin.example.org:80"), (result.Listener, result.RouteConfiguration, result.VirtualHost));
        Assert.Equal(["httpbin.example.org:80"], result.Endpoints);
        Assert.Equal(Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.StrictDns, _sidecar.Config.Clusters["outbound|80||httpbin.example.org"].Type);
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

        sidecar.Simulate(Call.Http("details:9080", "127.96.0.11", 9080)).ShouldReach(Details);
        var legacy = sidecar.Simulate(Call.Tcp("127.1.0.9", 9080)).ShouldReach("outbound|9080||legacy.bookinfo.svc.cluster.local");
        Assert.Equal("127.1.0.9_9080", legacy.Listener);
        Assert.Equal(["127.1.0.9:9080"], legacy.Endpoints);
    }

    [Fact]
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

        // Istio would give the bare name to the proxy's own namespace; the shared configuration
        // gives it to neither, so the call passes through to the address it was sent to.
        sidecar.Simulate(Call.Http("reviews:9080", "127.96.0.12", 9080)).ShouldReach("PassthroughCluster");
        Assert.Equal([ReviewsV1, ReviewsV2], sidecar.Distribute(Call.Http("reviews.bookinfo:9080", "127.96.0.12", 9080), 100, seed: 3).Keys);
        sidecar.Simulate(Call.Http("reviews.other:9080", "127.96.0.40", 9080)).ShouldReach("outbound|9080||reviews.other.svc.cluster.local");

        // Without the other namespace's reviews, the bare name is the bookinfo one's.
        sidecar.Simulate(Call.Http("ratings:9080", "127.96.0.13", 9080)).ShouldReach("outbound|9080|v1|ratings.bookinfo.svc.cluster.local");
    }

    [Fact]
    public async Task MongodbTcpTraffic_SplitsFiftyFifty_BetweenItsSubsets_AndADestinationSubnetRouteTakesOnlyItsAddresses()
    {
        var sidecar = await ProductpageWithAsync(TcpRoutesYaml);

        var landed = sidecar.Distribute(Call.Tcp("127.96.0.14", 27017), 2000, seed: 11);
        Assert.Equal(["outbound|27017|v1|mongodb.bookinfo.svc.cluster.local", "outbound|27017|v2|mongodb.bookinfo.svc.cluster.local"], landed.Keys);
        Assert.InRange(landed["outbound|27017|v1|mongodb.bookinfo.svc.cluster.local"], 900, 1100);
        var split = sidecar.Simulate(Call.Tcp("127.96.0.14", 27017));
        Assert.Equal(("127.96.0.14_27017", "bookinfo/mongodb tcp[0]"), (split.Listener, split.FilterChain));
        Assert.Equal([50u, 50u], split.WeightedClusters.Select(c => c.Weight));

        // The headless service's endpoint in the route's subnet goes where the route says; the other, to the service.
        sidecar.Simulate(Call.Tcp("127.1.1.20", 5432)).ShouldReach("outbound|27017||mongodb.bookinfo.svc.cluster.local");
        var rest = sidecar.Simulate(Call.Tcp("127.1.0.20", 5432)).ShouldReach("outbound|5432||legacy-db.bookinfo.svc.cluster.local");
        Assert.Equal(("127.1.0.20_5432", "outbound|5432||legacy-db.bookinfo.svc.cluster.local"), (rest.Listener, rest.FilterChain));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TlsToAnHttpsService_IsRoutedBySni_AndAnSniNoRouteTakes_PassesThroughOrUnderRegistryOnlyIsDropped(bool registryOnly)
    {
        var sidecar = await ProductpageWithAsync(TlsRoutesYaml, registryOnly);

        var primary = sidecar.Simulate(Call.Tls("vault.bookinfo.svc.cluster.local", "127.96.0.30", 443)).ShouldReach("outbound|443|primary|vault.bookinfo.svc.cluster.local");
        Assert.Equal(("127.96.0.30_443", "bookinfo/vault tls[0].match[0]"), (primary.Listener, primary.FilterChain));
        var landed = sidecar.Distribute(Call.Tls("eu.vault.example.com", "127.96.0.30", 443), 1000, seed: 5);
        Assert.InRange(landed["outbound|443|standby|vault.bookinfo.svc.cluster.local"], 740, 860);

        var unknown = sidecar.Simulate(Call.Tls("other.example.org", "127.96.0.30", 443)).ShouldReach(registryOnly ? "BlackHoleCluster" : "PassthroughCluster");
        Assert.Equal("PassthroughFilterChain", unknown.FilterChain);
        sidecar.Simulate(Call.Tcp("127.96.0.30", 443)).ShouldReach(registryOnly ? "BlackHoleCluster" : "PassthroughCluster");
        if (!registryOnly)
        {
            Assert.Equal(["127.96.0.30:443"], unknown.Endpoints);
        }
    }

    [Fact]
    public async Task AServicePortOfUndeclaredProtocol_IsSniffed_HttpFollowsItsRoutes_AndAnythingElseGoesToItsClusterOverTcp()
    {
        var sidecar = await ProductpageWithAsync(SniffedPortYaml);
        const string Legacy = "outbound|8765||legacy.bookinfo.svc.cluster.local";

        // As Istio's sniffing listener: plaintext HTTP meets the port's own routes...
        var http = sidecar.Simulate(Call.Http("legacy:8765", "127.96.0.40", 8765)).ShouldReach(Legacy);
        Assert.Equal(("127.96.0.40_8765", "legacy.bookinfo.svc.cluster.local:8765"), (http.Listener, http.RouteConfiguration));
        Assert.Equal(["127.1.0.40:8765"], http.Endpoints);
        sidecar.Simulate(Call.Http("anything", "127.96.0.40", 8765).WithHeader("x-to", "details")).ShouldReach(Details);

        // ...and a client speaking anything else is proxied to the service over TCP, not refused by an HTTP parser.
        var tcp = sidecar.Simulate(Call.Tcp("127.96.0.40", 8765)).ShouldReach(Legacy);
        Assert.Equal("127.96.0.40_8765", tcp.Listener);
        Assert.Equal(["127.1.0.40:8765"], tcp.Endpoints);
    }

    [Fact]
    public void TcpToAnUnknownAddress_OnAPortThatCarriesHttpServices_PassesThrough_NotIntoTheHttpConnectionManager()
    {
        var result = _sidecar.Simulate(Call.Tcp("127.55.0.1", 9080)).ShouldReach("PassthroughCluster");

        Assert.Equal(("0.0.0.0_9080", "PassthroughFilterChain"), (result.Listener, result.FilterChain));
        Assert.Equal(["127.55.0.1:9080"], result.Endpoints);
    }

    [Fact]
    public async Task ATcpRouteWrittenAndDeleted_ChangesTheServedListener_AndBack()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["bookinfo.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "bookinfo.yaml")),
        });
        async Task<Result> MongoAsync()
        {
            await using var client = AdsTestClient.Connect(server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
            return new Simulator(await AdsProxyConfig.FetchAsync(client)).Simulate(Call.Tcp("127.96.0.14", 27017));
        }

        Assert.Equal("outbound|27017||mongodb.bookinfo.svc.cluster.local", (await MongoAsync()).Cluster);

        await server.WriteConfigAsync("route.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: mongodb, namespace: bookinfo}
            spec:
              hosts: [mongodb]
              tcp:
                - route: [{destination: {host: details, port: {number: 9080}}}]
            """);
        await Eventually.TrueAsync(async () => (await MongoAsync()).Cluster == Details, TimeSpan.FromSeconds(20), "mongodb's listener proxies to details");

        server.DeleteConfig("route.yaml");
        await Eventually.TrueAsync(async () => (await MongoAsync()).Cluster == "outbound|27017||mongodb.bookinfo.svc.cluster.local", TimeSpan.FromSeconds(20), "mongodb's listener proxies to mongodb again");
    }

    /// <summary>The productpage sidecar's configuration from a control plane serving bookinfo and <paramref name="extraYaml"/>.</summary>
    internal static async Task<Simulator> ProductpageWithAsync(string extraYaml, bool registryOnly = false)
    {
        await using var server = await MeshServer.StartAsync(
            new Dictionary<string, string>
            {
                ["bookinfo.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "bookinfo.yaml")),
                ["extra.yaml"] = extraYaml,
            },
            registryOnly ? new Dictionary<string, string?> { ["Mesh:Traffic:OutboundTrafficPolicy"] = "REGISTRY_ONLY" } : null);
        await using var client = AdsTestClient.Connect(server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
        return new Simulator(await AdsProxyConfig.FetchAsync(client));
    }
}
