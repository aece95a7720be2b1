using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// The cluster shape each ServiceEntry resolution gets (Istio's <c>convertResolution</c>), per
/// audience: Envoy sidecars, gateways, and proxyless gRPC clients, which take only what
/// @grpc/grpc-js-xds accepts; and what an entry's ports add to sidecars.
/// </summary>
public sealed class ServiceEntryTranslatorTests
{
    private static readonly Dictionary<string, IReadOnlyList<int>> s_noPorts = [];

    [Fact]
    public void Static_IsAnEdsClusterForEveryone_WhoseEndpointsAreTheEntrysAtTheirPorts()
    {
        var entry = Entry("STATIC", [Http(8080, targetPort: 18080)],
            Endpoint("127.3.0.1", locality: "r1/z1"), Endpoint("127.3.0.2", ports: new() { ["http"] = 18081 }, weight: 3));

        var resources = ServiceEntryTranslator.Clusters("api.example.com", entry, entry.Ports[0], rule: null);

        var cluster = Cluster.Parser.ParseFrom(Assert.Single(resources, r => r.TypeUrl == TypeUrls.Cluster).Payload);
        Assert.Equal(ResourceAudience.All, resources.Single(r => r.TypeUrl == TypeUrls.Cluster).Audience);
        Assert.Equal(("outbound|8080||api.example.com", Cluster.Types.DiscoveryType.Eds), (cluster.Name, cluster.Type));
        var assignment = ClusterLoadAssignment.Parser.ParseFrom(Assert.Single(resources, r => r.TypeUrl == TypeUrls.ClusterLoadAssignment).Payload);
        Assert.Equal(["127.3.0.2:18081", "127.3.0.1:18080"], Addresses(assignment));
        Assert.Equal([3u, 1u], assignment.Endpoints.Select(l => l.LoadBalancingWeight ?? 0));
        Assert.Equal(("r1", "z1"), (assignment.Endpoints[1].Locality.Region, assignment.Endpoints[1].Locality.Zone));
        Assert.Equal("api.example.com", cluster.Metadata.FilterMetadata["istio"].Fields["services"].ListValue.Values[0].StructValue.Fields["host"].StringValue);
    }

    [Fact]
    public void DnsWithoutEndpoints_IsStrictDnsOfTheHostItself_ForEnvoy_AndLogicalDnsForProxylessClients()
    {
        var entry = Entry("DNS", [Http(80)]);

        var (sidecar, router, proxyless) = ServiceEntryTranslator.BuildCluster("outbound|80||api.example.com", "api.example.com", entry, entry.Ports[0], null, null);

        Assert.Equal(Cluster.Types.DiscoveryType.StrictDns, sidecar.Type);
        Assert.Null(sidecar.EdsClusterConfig);
        Assert.Equal(["api.example.com:80"], Addresses(sidecar.LoadAssignment));
        Assert.True(sidecar.RespectDnsTtl);
        Assert.Equal(sidecar, router);

        // @grpc/grpc-js-xds NACKs STRICT_DNS; a LOGICAL_DNS cluster of one endpoint it takes.
        Assert.Equal(Cluster.Types.DiscoveryType.LogicalDns, proxyless.Type);
        Assert.Equal(["api.example.com:80"], Addresses(proxyless.LoadAssignment));
    }

    [Fact]
    public void DnsWithSeveralEndpoints_IsStrictDnsOfThem_AndProxylessClientsGetAnEdsClusterWithNoEndpoints()
    {
        var entry = Entry("DNS", [Tcp(5432)], Endpoint("db1.example.com"), Endpoint("127.3.0.3"));

        var resources = ServiceEntryTranslator.Clusters("db.example.com", entry, entry.Ports[0], rule: null);

        var envoy = Cluster.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Cluster && r.Audience == ResourceAudience.Envoy).Payload);
        Assert.Equal(Cluster.Types.DiscoveryType.StrictDns, envoy.Type);
        Assert.Equal(["db1.example.com:5432", "127.3.0.3:5432"], Addresses(envoy.LoadAssignment));
        var proxyless = Cluster.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Cluster && r.Audience == ResourceAudience.Proxyless).Payload);
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, proxyless.Type);
        var assignment = resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment);
        Assert.Equal(ResourceAudience.Proxyless, assignment.Audience);
        Assert.Empty(ClusterLoadAssignment.Parser.ParseFrom(assignment.Payload).Endpoints);
    }

    [Fact]
    public void DnsRoundRobin_IsOneLogicalDnsClusterEveryoneShares()
    {
        var entry = Entry("DNS_ROUND_ROBIN", [Http(80, targetPort: 8080)]);

        var resources = ServiceEntryTranslator.Clusters("rr.example.com", entry, entry.Ports[0], rule: null);

        var shared = Assert.Single(resources);
        Assert.Equal((TypeUrls.Cluster, ResourceAudience.All), (shared.TypeUrl, shared.Audience));
        var cluster = Cluster.Parser.ParseFrom(shared.Payload);
        Assert.Equal(Cluster.Types.DiscoveryType.LogicalDns, cluster.Type);
        Assert.Equal(["rr.example.com:8080"], Addresses(cluster.LoadAssignment));
    }

    [Fact]
    public void None_IsOriginalDstForSidecars_AndAnEdsClusterWithNoEndpointsForGatewaysAndProxylessClients()
    {
        var entry = Entry("NONE", [Tcp(7000)]);

        var resources = ServiceEntryTranslator.Clusters("legacy.example.com", entry, entry.Ports[0], rule: null);

        var sidecar = Cluster.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Cluster && r.Audience == ResourceAudience.Sidecar).Payload);
        Assert.Equal((Cluster.Types.DiscoveryType.OriginalDst, Cluster.Types.LbPolicy.ClusterProvided), (sidecar.Type, sidecar.LbPolicy));
        var others = resources.Single(r => r.TypeUrl == TypeUrls.Cluster && r.Audience == (ResourceAudience.Router | ResourceAudience.Proxyless));
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, Cluster.Parser.ParseFrom(others.Payload).Type);
        var assignment = resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment);
        Assert.Equal(ResourceAudience.Router | ResourceAudience.Proxyless, assignment.Audience);
        Assert.Empty(ClusterLoadAssignment.Parser.ParseFrom(assignment.Payload).Endpoints);
    }

    [Fact]
    public void DestinationRuleSubsets_SelectTheEntrysEndpointsByLabel_AndItsPolicyShapesTheCluster()
    {
        var entry = Entry("DNS", [Http(80)], Endpoint("127.3.0.1", labels: new() { ["version"] = "v1" }), Endpoint("127.3.0.2", labels: new() { ["version"] = "v2" }));
        var rule = new DestinationRuleSpec("default", "dr", "api.example.com",
            [new SubsetSpec("v2", new Dictionary<string, string> { ["version"] = "v2" }, null)],
            new TrafficPolicySpec(null, new LoadBalancerSpec("LEAST_REQUEST", null, null, null, null, null), null, null, null, []), [], null, null);

        var resources = ServiceEntryTranslator.Clusters("api.example.com", entry, entry.Ports[0], rule);

        var subset = Cluster.Parser.ParseFrom(resources.Single(r => r.Name == "outbound|80|v2|api.example.com" && r.Audience == ResourceAudience.Envoy).Payload);
        Assert.Equal(["127.3.0.2:80"], Addresses(subset.LoadAssignment));
        Assert.Equal(Cluster.Types.LbPolicy.LeastRequest, subset.LbPolicy);

        // A subset of one endpoint is a cluster proxyless clients take, with the lb_policy they accept.
        var proxyless = Cluster.Parser.ParseFrom(resources.Single(r => r.Name == "outbound|80|v2|api.example.com" && r.Audience == ResourceAudience.Proxyless).Payload);
        Assert.Equal((Cluster.Types.DiscoveryType.LogicalDns, Cluster.Types.LbPolicy.RoundRobin), (proxyless.Type, proxyless.LbPolicy));
    }

    [Fact]
    public void StaticUnixSocketEndpoints_AreLeftOutOfTheProxylessAssignment()
    {
        var entry = Entry("STATIC", [Http(80)], Endpoint("unix:///var/run/api.sock"));

        var resources = ServiceEntryTranslator.Clusters("uds.example.com", entry, entry.Ports[0], rule: null);

        var envoy = ClusterLoadAssignment.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Audience == ResourceAudience.Envoy).Payload);
        Assert.Equal("/var/run/api.sock", envoy.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.Pipe.Path);
        var proxyless = ClusterLoadAssignment.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Audience == ResourceAudience.Proxyless).Payload);
        Assert.Empty(proxyless.Endpoints);
    }

    [Fact]
    public void AnHttpPort_IsAVirtualHostAnsweringToTheHostAndOnTheFirstHostToTheAddresses()
    {
        var entry = Entry("STATIC", [Http(8080)], Endpoint("127.3.0.1")) with { Hosts = ["a.example.com", "b.example.com"], Addresses = ["127.97.0.1", "127.98.0.0/16"] };

        var first = Piece(ServiceEntryTranslator.Translate("a.example.com", entry, [], s_noPorts, null));
        var second = Piece(ServiceEntryTranslator.Translate("b.example.com", entry, [], s_noPorts, null));

        Assert.Equal("a.example.com:8080", first.Name);
        Assert.Equal(["a.example.com", "a.example.com:8080", "127.97.0.1", "127.97.0.1:8080"], first.Domains);
        Assert.Equal(["b.example.com", "b.example.com:8080"], second.Domains);
        Assert.Equal("outbound|8080||a.example.com", first.Routes.Single().Route_.Cluster);
    }

    [Fact]
    public void ATcpPort_IsAListenerPerAddress_OrForCidrsAndNoAddressTheWildcardListenerOfThePort()
    {
        var withAddress = Entry("DNS", [Tcp(5432)]) with { Hosts = ["db.example.com"], Addresses = ["127.97.0.2"] };
        var withCidr = Entry("NONE", [Tcp(7000)]) with { Hosts = ["legacy.example.com"], Addresses = ["127.98.0.0/16"] };
        var bare = Entry("NONE", [Tcp(7001)]) with { Hosts = ["bare.example.com"] };

        var one = Listeners(withAddress, "db.example.com");
        var cidr = Listeners(withCidr, "legacy.example.com");
        var none = Listeners(bare, "bare.example.com");

        Assert.Equal("127.97.0.2_5432", one.Single().Name);
        Assert.Equal("outbound|5432||db.example.com", one.Single().FilterChains.Single().Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        Assert.Equal("0.0.0.0_7000", cidr.Single().Name);
        var range = cidr.Single().FilterChains.Single().FilterChainMatch.PrefixRanges.Single();
        Assert.Equal(("127.98.0.0", 16u), (range.AddressPrefix, range.PrefixLen ?? 0));
        Assert.Equal("PassthroughCluster", cidr.Single().DefaultFilterChain.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        var blocked = ServiceEntryTranslator.Translate("legacy.example.com", withCidr, [], s_noPorts, null, registryOnly: true)
            .Single(r => r.TypeUrl == TypeUrls.Listener && r.Audience == ResourceAudience.Sidecar);
        Assert.Equal("BlackHoleCluster", Listener.Parser.ParseFrom(blocked.Payload).DefaultFilterChain.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        Assert.Equal("0.0.0.0_7001", none.Single().Name);
        Assert.Null(none.Single().FilterChains.Single().FilterChainMatch);
    }

    [Fact]
    public void ServiceTranslator_WithAnEntryAndNoService_ServesTheEntry_AndNoEmptyClusterForItsOwnPorts()
    {
        var entry = Entry("STATIC", [Http(8080)], Endpoint("127.3.0.1"));

        var resources = ServiceTranslator.Translate("api.example.com", null, [], [], s_noPorts, referencedPorts: [8080, 9999], serviceEntry: entry);

        var clusters = resources.Where(r => r.TypeUrl == TypeUrls.Cluster).Select(r => r.Name).ToList();
        Assert.Equal(["outbound|9999||api.example.com", "outbound|8080||api.example.com"], clusters);
        Assert.Contains(resources, r => r.TypeUrl == TypeUrls.Listener && r.Name == "api.example.com:8080" && r.Audience == ResourceAudience.Proxyless);
    }

    private static ServiceEntrySpec Entry(string resolution, IReadOnlyList<ServiceEntryPort> ports, params WorkloadEntrySpec[] endpoints) =>
        new("default", "se", ["api.example.com"], [], ports, "MESH_EXTERNAL", resolution, endpoints, null, [], []);

    private static ServiceEntryPort Http(int number, int? targetPort = null) => new(number, "http", "HTTP", targetPort);

    private static ServiceEntryPort Tcp(int number) => new(number, "tcp", "TCP", null);

    private static WorkloadEntrySpec Endpoint(string address, Dictionary<string, int>? ports = null, Dictionary<string, string>? labels = null, string? locality = null, int? weight = null) =>
        new(address, ports ?? [], labels ?? [], null, locality, weight, null);

    private static List<string> Addresses(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}").ToList();

    private static VirtualHost Piece(IReadOnlyList<XdsResource> resources) =>
        VirtualHost.Parser.ParseFrom(Assert.Single(resources, r => r.TypeUrl == TypeUrls.VirtualHostPiece).Payload);

    private static List<Listener> Listeners(ServiceEntrySpec entry, string host) =>
        ServiceEntryTranslator.Translate(host, entry, [], s_noPorts, null)
            .Where(r => r.TypeUrl == TypeUrls.Listener && r.Audience == ResourceAudience.Sidecar)
            .Select(r => Listener.Parser.ParseFrom(r.Payload))
            .ToList();
}
