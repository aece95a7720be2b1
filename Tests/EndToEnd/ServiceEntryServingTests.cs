using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// ServiceEntries of every resolution beside the bookinfo sample, served by a real control plane:
/// calls followed through the productpage sidecar's configuration land in the entries' clusters,
/// and everything served to sidecars, gateways and proxyless clients passes Envoy's validate rules.
/// Configuration only: every address is a loopback one, and no name is ever resolved.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ServiceEntryServingTests(ServiceEntryServingTests.Mesh mesh, ITestOutputHelper output) : IClassFixture<ServiceEntryServingTests.Mesh>
{
    private const string ProductpageNode = "sidecar~127.1.0.1~productpage-v1-7d9c5b.bookinfo~bookinfo.svc.cluster.local";

    /// <summary>One entry per resolution, a DestinationRule and a VirtualService on one of them.</summary>
    public const string Entries = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: static-api, namespace: bookinfo}
        spec:
          hosts: [static.example.internal]
          addresses: [127.97.0.1]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8080, name: http, protocol: HTTP, targetPort: 18080}]
          endpoints:
            - {address: 127.3.0.1, labels: {version: v1}}
            - {address: 127.3.0.2, labels: {version: v2}, ports: {http: 18081}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: static-api, namespace: bookinfo}
        spec:
          host: static.example.internal
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: static-api, namespace: bookinfo}
        spec:
          hosts: [static.example.internal]
          http:
            - match: [{headers: {x-canary: {exact: "yes"}}}]
              route: [{destination: {host: static.example.internal, subset: v2}}]
            - route: [{destination: {host: static.example.internal, subset: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: database, namespace: bookinfo}
        spec:
          hosts: [db.example.com]
          addresses: [127.97.0.2]
          resolution: DNS
          ports: [{number: 5432, name: tcp-postgres, protocol: TCP}]
          endpoints: [{address: db1.example.com}, {address: 127.3.0.3}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: round-robin, namespace: bookinfo}
        spec:
          hosts: [rr.example.com]
          resolution: DNS_ROUND_ROBIN
          ports: [{number: 80, name: http, protocol: HTTP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: wildcard, namespace: bookinfo}
        spec:
          hosts: ["*.wild.example.com"]
          resolution: NONE
          ports: [{number: 80, name: http, protocol: HTTP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: legacy, namespace: bookinfo}
        spec:
          hosts: [legacy.example.com]
          addresses: [127.98.0.0/16]
          resolution: NONE
          ports: [{number: 7000, name: tcp, protocol: TCP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings-vm, namespace: bookinfo}
        spec:
          hosts: [ratings.vm.internal]
          location: MESH_INTERNAL
          resolution: STATIC
          workloadSelector: {labels: {app: ratings}}
          ports: [{number: 9090, name: http, protocol: HTTP, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: cache, namespace: bookinfo}
        spec:
          hosts: [cache.example.com]
          addresses: [127.97.0.5]
          resolution: STATIC
          ports: [{number: 6379, name: cache}]
          endpoints: [{address: 127.3.0.5}]
        """;

    [Fact]
    public void AnHttpCallToAStaticEntry_FollowsItsVirtualServiceToTheSubsetsEndpoints_ByNameAndByAddress()
    {
        var sidecar = Simulator();

        var v1 = sidecar.Simulate(Call.Http("static.example.internal:8080", "127.97.0.1", 8080)).ShouldReach("outbound|8080|v1|static.example.internal");
        Assert.Equal(("0.0.0.0_8080", "8080", "static.example.internal:8080"), (v1.Listener, v1.RouteConfiguration, v1.VirtualHost));
        Assert.Equal(["127.3.0.1:18080"], v1.Endpoints);
        var v2 = sidecar.Simulate(Call.Http("127.97.0.1:8080", "127.97.0.1", 8080).WithHeader("x-canary", "yes")).ShouldReach("outbound|8080|v2|static.example.internal");
        Assert.Equal(["127.3.0.2:18081"], v2.Endpoints);
    }

    [Fact]
    public void ATcpCallToADnsEntrysAddress_LandsInItsStrictDnsClusterThroughItsOwnListener()
    {
        var result = Simulator().Simulate(Call.Tcp("127.97.0.2", 5432)).ShouldReach("outbound|5432||db.example.com");

        Assert.Equal("127.97.0.2_5432", result.Listener);
        Assert.Equal(["db1.example.com:5432", "127.3.0.3:5432"], result.Endpoints);
        Assert.Equal(Cluster.Types.DiscoveryType.StrictDns, Simulator().Config.Clusters["outbound|5432||db.example.com"].Type);
    }

    [Fact]
    public void ATcpCallIntoAnEntrysCidr_GoesOnToTheAddressCalled_ThroughThePortsWildcardListener()
    {
        var result = Simulator().Simulate(Call.Tcp("127.98.4.5", 7000)).ShouldReach("outbound|7000||legacy.example.com");

        Assert.Equal("0.0.0.0_7000", result.Listener);
        Assert.Equal(["127.98.4.5:7000"], result.Endpoints);
        Simulator().Simulate(Call.Tcp("127.55.0.1", 7000)).ShouldReach("PassthroughCluster");
    }

    [Fact]
    public void HttpToAWildcardEntry_AndToADnsRoundRobinEntry_LandsInTheirClusters()
    {
        var wild = Simulator().Simulate(Call.Http("api.wild.example.com", "127.55.0.2", 80)).ShouldReach("outbound|80||*.wild.example.com");
        Assert.Equal(["127.55.0.2:80"], wild.Endpoints);

        var roundRobin = Simulator().Simulate(Call.Http("rr.example.com", "127.55.0.3", 80)).ShouldReach("outbound|80||rr.example.com");
        Assert.Equal(["rr.example.com:80"], roundRobin.Endpoints);
        Assert.Equal(Cluster.Types.DiscoveryType.LogicalDns, Simulator().Config.Clusters["outbound|80||rr.example.com"].Type);
    }

    [Fact]
    public void AnEntryPortOfUndeclaredProtocol_IsSniffedOnTheEntrysAddress_HttpThroughItsRoutes_AnythingElseOverTcp()
    {
        var tcp = Simulator().Simulate(Call.Tcp("127.97.0.5", 6379)).ShouldReach("outbound|6379||cache.example.com");
        Assert.Equal("127.97.0.5_6379", tcp.Listener);
        Assert.Equal(["127.3.0.5:6379"], tcp.Endpoints);

        var http = Simulator().Simulate(Call.Http("cache.example.com:6379", "127.97.0.5", 6379)).ShouldReach("outbound|6379||cache.example.com");
        Assert.Equal(("127.97.0.5_6379", "cache.example.com:6379"), (http.Listener, http.RouteConfiguration));
    }

    [Fact]
    public void AWorkloadSelectorEntry_SendsToTheSelectedPodsAtTheTargetPort()
    {
        var result = Simulator().Simulate(Call.Http("ratings.vm.internal:9090", "127.55.0.4", 9090)).ShouldReach("outbound|9090||ratings.vm.internal");

        Assert.Equal(["127.1.0.6:9080"], result.Endpoints);
    }

    [Fact]
    public async Task EveryResourceServed_ToSidecarsGatewaysAndProxylessClients_PassesEnvoysRules()
    {
        await using var validation = await EnvoyValidation.StartAsync();
        var nodes = new (string NodeId, Struct? Metadata)[]
        {
            (ProductpageNode, SidecarServingTests.SidecarMetadata()),
            ("router~127.1.0.200~ingress-7d9c5b.istio-system~istio-system.svc.cluster.local", null),
            ("proxyless-client", null),
        };

        var failures = new List<string>();
        var clusterTypes = new HashSet<Cluster.Types.DiscoveryType>();
        var count = 0;
        foreach (var (nodeId, metadata) in nodes)
        {
            await using var client = AdsTestClient.Connect(mesh.Server.XdsPort, nodeId, metadata: metadata);
            foreach (var response in await FetchEverythingAsync(client))
            {
                foreach (var any in response.Resources)
                {
                    count++;
                    if (any.TypeUrl == TypeUrls.Cluster && any.Unpack<Cluster>() is { } cluster && cluster.Name.Contains("example", StringComparison.Ordinal))
                    {
                        clusterTypes.Add(cluster.Type);
                    }

                    foreach (var violation in await validation.ValidateAsync(any.TypeUrl, any.Value))
                    {
                        failures.Add($"{nodeId}: {any.TypeUrl[TypeUrls.Prefix.Length..]}: {violation}");
                    }
                }
            }
        }

        output.WriteLine($"{count} resources checked, {validation.CheckedRules} rules");
        Assert.True(failures.Count == 0, "served resources Envoy would NACK:\n" + string.Join("\n", failures));
        Assert.Superset(new HashSet<Cluster.Types.DiscoveryType> { Cluster.Types.DiscoveryType.StrictDns, Cluster.Types.DiscoveryType.LogicalDns, Cluster.Types.DiscoveryType.Eds, Cluster.Types.DiscoveryType.OriginalDst }, clusterTypes);
        Assert.True(validation.CheckedRules >= 10 * count, $"only {validation.CheckedRules} rules were evaluated for {count} resources");
    }

    [Fact]
    public async Task AProxylessClient_GetsOnlyClusterTypesItAccepts()
    {
        await using var client = AdsTestClient.Connect(mesh.Server.XdsPort, "proxyless-client");
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = AdsTestClient.Unpack<Cluster>(await client.ReceiveTypeAsync(TypeUrls.Cluster)).ToDictionary(c => c.Name);

        Assert.All(clusters.Values, c => Assert.Contains(c.Type, new[] { Cluster.Types.DiscoveryType.Eds, Cluster.Types.DiscoveryType.LogicalDns }));
        Assert.All(clusters.Values.Where(c => c.Type == Cluster.Types.DiscoveryType.LogicalDns), c => Assert.Single(Assert.Single(c.LoadAssignment.Endpoints).LbEndpoints));
        Assert.Equal(Cluster.Types.DiscoveryType.LogicalDns, clusters["outbound|80||httpbin.example.org"].Type);
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, clusters["outbound|5432||db.example.com"].Type);
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, clusters["outbound|7000||legacy.example.com"].Type);
    }

    private Simulator Simulator() => mesh.Productpage!;

    /// <summary>CDS and LDS (wildcard), then EDS for every EDS cluster and RDS for every route name the listeners use.</summary>
    private static async Task<List<DiscoveryResponse>> FetchEverythingAsync(AdsTestClient client)
    {
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveTypeAsync(TypeUrls.Listener);
        var responses = new List<DiscoveryResponse> { clusters, listeners };
        var edsNames = AdsTestClient.Unpack<Cluster>(clusters).Where(c => c.Type == Cluster.Types.DiscoveryType.Eds).Select(c => c.Name).ToList();
        if (edsNames.Count > 0)
        {
            await client.SendAsync(TypeUrls.ClusterLoadAssignment, edsNames);
            responses.Add(await client.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment));
        }

        var routeNames = AdsTestClient.Unpack<Listener>(listeners)
            .SelectMany(l => l.FilterChains.SelectMany(c => c.Filters).Select(f => f.TypedConfig).Append(l.ApiListener?.ApiListener_))
            .Where(c => c is not null && c.Is(HttpConnectionManager.Descriptor))
            .Select(c => c!.Unpack<HttpConnectionManager>().Rds?.RouteConfigName)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (routeNames.Count > 0)
        {
            await client.SendAsync(TypeUrls.RouteConfiguration, routeNames);
            responses.Add(await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration));
        }

        return responses;
    }

    /// <summary>A control plane serving the bookinfo sample and <see cref="Entries"/>, and what the productpage sidecar is sent.</summary>
    public sealed class Mesh : IAsyncLifetime
    {
        public MeshServer Server { get; private set; } = null!;

        public Simulator? Productpage { get; private set; }

        public async Task InitializeAsync()
        {
            Server = await MeshServer.StartAsync(new Dictionary<string, string>
            {
                ["bookinfo.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "bookinfo.yaml")),
                ["entries.yaml"] = Entries,
            });
            await using var client = AdsTestClient.Connect(Server.XdsPort, ProductpageNode, metadata: SidecarServingTests.SidecarMetadata());
            Productpage = new Simulator(await AdsProxyConfig.FetchAsync(client));
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
