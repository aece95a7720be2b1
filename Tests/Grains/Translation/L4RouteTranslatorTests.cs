using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// VirtualService <c>tcp[]</c> and <c>tls[]</c> routes as the filter chains of a sidecar's
/// outbound TCP listener (<see cref="L4RouteTranslator"/>, through <see cref="SidecarTranslator.RoutedTcpListener"/>).
/// </summary>
public sealed class L4RouteTranslatorTests
{
    private const string Mongo = "mongodb.db.svc.cluster.local";
    private const string MongoCluster = "outbound|27017||mongodb.db.svc.cluster.local";
    private const string Archive = "archive.db.svc.cluster.local";
    private const string Secure = "secure.db.svc.cluster.local";
    private const string SecureCluster = "outbound|443||secure.db.svc.cluster.local";

    private static readonly Dictionary<string, IReadOnlyList<int>> s_ports = new(StringComparer.Ordinal)
    {
        [Mongo] = [27017],
        [Archive] = [27017, 27018],
        [Secure] = [443],
        ["a.db.svc.cluster.local"] = [8443],
        ["b.db.svc.cluster.local"] = [8443],
    };

    [Fact]
    public void NoVirtualService_IsThePlainListenerToTheServicesCluster_ByteForByte()
    {
        var plain = SidecarTranslator.TcpListener("10.96.0.14", 27017, MongoCluster);

        Assert.Equal(plain.ToByteArray(), Tcp([]).ToByteArray());
        Assert.Equal(plain.ToByteArray(), Tcp([Vs("other", hosts: [Archive], tcp: [TcpRoute([], (Archive, null, 100, null))])]).ToByteArray());
    }

    [Fact]
    public void ARouteWithoutMatch_IsTheOnlyChain_ToItsDestination()
    {
        var listener = Tcp([Vs("mongo", tcp: [TcpRoute([], (Archive, 27018, 100, null))])]);

        var chain = Assert.Single(listener.FilterChains);
        Assert.Null(chain.FilterChainMatch);
        Assert.Null(listener.DefaultFilterChain);
        Assert.Equal("db/mongo tcp[0]", chain.Name);
        var proxy = Proxy(chain);
        Assert.Equal("outbound|27018||archive.db.svc.cluster.local", proxy.Cluster);
        Assert.Equal("outbound|27018||archive.db.svc.cluster.local", proxy.StatPrefix);
        Assert.Empty(listener.ListenerFilters);
    }

    [Fact]
    public void AnOmittedDestinationPort_IsTheDestinationsOnlyPort_ElseTheRoutedOne()
    {
        Assert.Equal("outbound|27017|v1|mongodb.db.svc.cluster.local", Proxy(Tcp([Vs("mongo", tcp: [TcpRoute([], (Mongo, null, 100, "v1"))])]).FilterChains[0]).Cluster);
        Assert.Equal("outbound|27017||archive.db.svc.cluster.local", Proxy(Tcp([Vs("mongo", tcp: [TcpRoute([], (Archive, null, 100, null))])]).FilterChains[0]).Cluster);
    }

    [Fact]
    public void DestinationSubnets_BecomePrefixRanges_AndTheServicesOwnClusterTakesTheRest()
    {
        var listener = Tcp([Vs("mongo", tcp:
        [
            TcpRoute([L4(subnets: ["10.1.2.3/16", "10.9.9.9"]), L4(subnets: ["fd00::1/64"])], (Archive, 27018, 100, null)),
        ])]);

        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal(
            ["10.1.0.0/16", "10.9.9.9/32", "fd00::/64"],
            chain.FilterChainMatch.PrefixRanges.Select(r => $"{r.AddressPrefix}/{r.PrefixLen}"));
        Assert.Equal("outbound|27018||archive.db.svc.cluster.local", Proxy(chain).Cluster);
        Assert.Equal(MongoCluster, listener.DefaultFilterChain.Name);
        Assert.Equal(MongoCluster, Proxy(listener.DefaultFilterChain).Cluster);
    }

    [Fact]
    public void AMatchWithoutSubnets_CatchesEverything_AndLaterRoutesAndVirtualServicesAreNotLookedAt()
    {
        var listener = Tcp(
        [
            Vs("b-later", tcp: [TcpRoute([], (Mongo, null, 100, "late"))]),
            Vs("a-first", tcp:
            [
                TcpRoute([L4(subnets: ["10.0.0.0/8"])], (Mongo, null, 100, "v1")),
                TcpRoute([L4(port: 27017)], (Mongo, null, 100, "v2")),
                TcpRoute([], (Mongo, null, 100, "v3")),
            ]),
        ]);

        Assert.Equal(["db/a-first tcp[0]"], listener.FilterChains.Select(c => c.Name));
        Assert.Equal("db/a-first tcp[1]", listener.DefaultFilterChain.Name);
        Assert.Equal("outbound|27017|v2|mongodb.db.svc.cluster.local", Proxy(listener.DefaultFilterChain).Cluster);
    }

    [Fact]
    public void MatchesOnAnotherPort_AnotherGateway_OrTheSourceProxy_DoNotApply()
    {
        var listener = Tcp([Vs("mongo", tcp:
        [
            TcpRoute([L4(port: 27018)], (Mongo, null, 100, "port")),
            TcpRoute([L4(gateways: ["istio-system/ingress"])], (Mongo, null, 100, "gateway")),
            TcpRoute([L4(sourceLabels: new Dictionary<string, string> { ["app"] = "x" })], (Mongo, null, 100, "labels")),
            TcpRoute([L4(sourceNamespace: "db")], (Mongo, null, 100, "namespace")),
            TcpRoute([L4(gateways: ["mesh"], port: 27017)], (Mongo, null, 100, "mesh")),
        ])]);

        Assert.Equal("outbound|27017|mesh|mongodb.db.svc.cluster.local", Proxy(Assert.Single(listener.FilterChains)).Cluster);
    }

    [Fact]
    public void AVirtualServiceBoundOnlyToGateways_IsNotApplied()
    {
        var listener = Tcp([Vs("mongo", gateways: ["istio-system/ingress"], tcp: [TcpRoute([], (Archive, 27018, 100, null))])]);

        Assert.Equal(MongoCluster, Proxy(Assert.Single(listener.FilterChains)).Cluster);
    }

    [Fact]
    public void SeveralDestinations_AreWeightedClusters_OfTheirSubsets_NamedAfterTheVirtualService()
    {
        var listener = Tcp([Vs("mongo", tcp: [TcpRoute([], (Mongo, null, 50, "v1"), (Mongo, null, 50, "v2"), (Archive, 27018, 0, null))])]);

        var proxy = Proxy(Assert.Single(listener.FilterChains));
        Assert.Equal("mongo.db", proxy.StatPrefix);
        Assert.Equal(
            [("outbound|27017|v1|mongodb.db.svc.cluster.local", 50u), ("outbound|27017|v2|mongodb.db.svc.cluster.local", 50u)],
            proxy.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)));
    }

    [Fact]
    public void AMissingDestination_IsLeftOutOfASplit_ButKeptWhenNothingElseIsLeft()
    {
        var split = Proxy(Tcp([Vs("mongo", tcp: [TcpRoute([], (Mongo, null, 30, "v1"), ("nowhere.db.svc.cluster.local", 27017, 70, null))])]).FilterChains[0]);
        var alone = Proxy(Tcp([Vs("mongo", tcp: [TcpRoute([], ("nowhere.db.svc.cluster.local", 27017, 100, null))])]).FilterChains[0]);

        Assert.Equal("outbound|27017|v1|mongodb.db.svc.cluster.local", split.Cluster);
        Assert.Equal("outbound|27017||nowhere.db.svc.cluster.local", alone.Cluster);
    }

    [Fact]
    public void TwoRoutesOnTheSameSubnets_KeepTheFirst_AndAPartlyTakenRouteKeepsTheRest()
    {
        var listener = Tcp([Vs("mongo", tcp:
        [
            TcpRoute([L4(subnets: ["10.0.0.0/8"])], (Mongo, null, 100, "v1")),
            TcpRoute([L4(subnets: ["10.1.1.1/8"])], (Mongo, null, 100, "v2")),
            TcpRoute([L4(subnets: ["10.0.0.0/8", "192.168.0.0/16"])], (Mongo, null, 100, "v3")),
        ])]);

        Assert.Equal(["db/mongo tcp[0]", "db/mongo tcp[2]"], listener.FilterChains.Select(c => c.Name));
        Assert.Equal(["192.168.0.0"], listener.FilterChains[1].FilterChainMatch.PrefixRanges.Select(r => r.AddressPrefix));
    }

    [Fact]
    public void TlsRoutes_MatchTheirSniHosts_WithTheTlsInspector_AndPassTheRestThrough()
    {
        var listener = Tls([Vs("secure", hosts: [Secure], tls:
        [
            TlsRoute([Sni(["b.example.com", "a.example.com"])], ("a.db.svc.cluster.local", 8443, 100, null)),
            TlsRoute([Sni(["*.example.org"], subnets: ["10.96.0.0/16"])], ("b.db.svc.cluster.local", 8443, 100, null)),
        ])]);

        Assert.Equal(["db/secure tls[0].match[0]", "db/secure tls[1].match[0]"], listener.FilterChains.Select(c => c.Name));
        Assert.Equal(["a.example.com", "b.example.com"], listener.FilterChains[0].FilterChainMatch.ServerNames);
        Assert.Empty(listener.FilterChains[0].FilterChainMatch.PrefixRanges);
        Assert.Equal(["*.example.org"], listener.FilterChains[1].FilterChainMatch.ServerNames);
        Assert.Equal("10.96.0.0", Assert.Single(listener.FilterChains[1].FilterChainMatch.PrefixRanges).AddressPrefix);
        Assert.Equal("outbound|8443||a.db.svc.cluster.local", Proxy(listener.FilterChains[0]).Cluster);
        Assert.Equal(L4RouteTranslator.TlsInspectorName, Assert.Single(listener.ListenerFilters).Name);
        Assert.Equal(TimeSpan.Zero, listener.ListenerFiltersTimeout.ToTimeSpan());
        Assert.True(listener.ContinueOnListenerFiltersTimeout);
        Assert.Equal(L4RouteTranslator.PassthroughFilterChainName, listener.DefaultFilterChain.Name);
        Assert.Equal("PassthroughCluster", Proxy(listener.DefaultFilterChain).Cluster);
        Assert.Equal("BlackHoleCluster", Proxy(Tls([Vs("secure", hosts: [Secure], tls: [TlsRoute([Sni(["a.example.com"])], ("a.db.svc.cluster.local", 8443, 100, null))])], registryOnly: true).DefaultFilterChain).Cluster);
    }

    [Fact]
    public void ATlsRouteForEverySni_IsTheDefaultChain_WithoutTheInspectorWhenItIsTheOnlyOne()
    {
        var only = Tls([Vs("secure", hosts: [Secure], tls: [TlsRoute([Sni(["*"])], ("a.db.svc.cluster.local", 8443, 100, null))])]);
        var withOthers = Tls([Vs("secure", hosts: [Secure], tls:
        [
            TlsRoute([Sni(["*"])], ("a.db.svc.cluster.local", 8443, 100, null)),
            TlsRoute([Sni(["b.example.com"])], ("b.db.svc.cluster.local", 8443, 100, null)),
        ])]);

        Assert.Null(Assert.Single(only.FilterChains).FilterChainMatch);
        Assert.Empty(only.ListenerFilters);
        Assert.Equal("db/secure tls[1].match[0]", Assert.Single(withOthers.FilterChains).Name);
        Assert.Equal("db/secure tls[0].match[0]", withOthers.DefaultFilterChain.Name);
        Assert.Equal("outbound|8443||a.db.svc.cluster.local", Proxy(withOthers.DefaultFilterChain).Cluster);
    }

    [Fact]
    public void TlsMatchesTakingAnEarlierSni_LoseIt_AndOneWithNothingLeftIsLeftOut()
    {
        var listener = Tls([Vs("secure", hosts: [Secure], tls:
        [
            TlsRoute([Sni(["a.example.com", "b.example.com"])], ("a.db.svc.cluster.local", 8443, 100, null)),
            TlsRoute([Sni(["b.example.com"]), Sni(["b.example.com", "c.example.com"])], ("b.db.svc.cluster.local", 8443, 100, null)),
        ])]);

        Assert.Equal(["db/secure tls[0].match[0]", "db/secure tls[1].match[1]"], listener.FilterChains.Select(c => c.Name));
        Assert.Equal(["c.example.com"], listener.FilterChains[1].FilterChainMatch.ServerNames);
    }

    [Fact]
    public void ATlsPortWithoutTlsRoutes_AndATcpPortWithOnlyTlsRoutes_AreThePlainListener()
    {
        var vs = Vs("both", hosts: [Secure, Mongo],
            tcp: [TcpRoute([], (Archive, 27018, 100, null))],
            tls: [TlsRoute([Sni(["a.example.com"])], ("a.db.svc.cluster.local", 8443, 100, null))]);

        var tlsPort = SidecarTranslator.RoutedTcpListener(Secure, "10.96.0.20", 443, MeshProtocol.Https, SecureCluster, [Vs("tcp-only", hosts: [Secure], tcp: vs.Tcp)], s_ports, registryOnly: false);
        var tcpPort = SidecarTranslator.RoutedTcpListener(Mongo, "10.96.0.14", 27017, MeshProtocol.Mongo, MongoCluster, [Vs("tls-only", tls: vs.Tls)], s_ports, registryOnly: false);

        Assert.Equal(SidecarTranslator.TcpListener("10.96.0.20", 443, SecureCluster).ToByteArray(), tlsPort.ToByteArray());
        Assert.Equal(SidecarTranslator.TcpListener("10.96.0.14", 27017, MongoCluster).ToByteArray(), tcpPort.ToByteArray());
    }

    [Fact]
    public void ServicePort_HeadlessTcp_AppliesTheRoutesOnEveryEndpointsListener()
    {
        var port = new ServicePort("tcp-mongo", 27017, null, "TCP", null);
        var slice = new MeshEndpointSlice("db", "mongodb-a", "mongodb", "IPv4", [new SlicePort("tcp-mongo", 27017, "TCP")],
            [new SliceEndpoint(["10.1.0.1"], true, true, false, null, null, null), new SliceEndpoint(["10.1.0.2"], true, true, false, null, null, null)]);

        var resources = SidecarTranslator.ServicePort(
            new MeshService("db", "mongodb", [port]), port, MongoCluster, new Envoy.Config.Route.V3.VirtualHost { Name = "unused" }, [slice],
            [Vs("mongo", tcp: [TcpRoute([], (Mongo, null, 50, "v1"), (Mongo, null, 50, "v2"))])], s_ports);

        var listeners = resources.Select(r => Listener.Parser.ParseFrom(r.Payload)).ToList();
        Assert.Equal(["10.1.0.1_27017", "10.1.0.2_27017"], listeners.Select(l => l.Name));
        Assert.All(listeners, l => Assert.Equal(2, Proxy(Assert.Single(l.FilterChains)).WeightedClusters.Clusters.Count));
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3", 32u)]
    [InlineData("10.1.2.3/0", "0.0.0.0", 0u)]
    [InlineData("10.1.255.3/20", "10.1.240.0", 20u)]
    [InlineData("fd00:1:2::3/48", "fd00:1:2::", 48u)]
    [InlineData("fd00::3", "fd00::3", 128u)]
    public void CidrRange_MasksTheAddressToItsPrefix(string subnet, string address, uint length)
    {
        var range = L4RouteTranslator.CidrRange(subnet);

        Assert.Equal((address, length), (range.AddressPrefix, range.PrefixLen ?? 0u));
    }

    [Theory]
    [InlineData("10.1.2")]
    [InlineData("10.1.2.3/33")]
    [InlineData("fd00::/129")]
    [InlineData("10.1.2.3/x")]
    public void CidrRange_OfSomethingElse_SaysWhat(string subnet) =>
        Assert.Contains(subnet, Assert.Throws<FormatException>(() => L4RouteTranslator.CidrRange(subnet)).Message, StringComparison.Ordinal);

    [Fact]
    public void ServerNameMatch_OfNeitherNamesNorSubnets_IsNull_AndStarMeansAnyName()
    {
        Assert.Null(L4RouteTranslator.ServerNameMatch([], []));
        Assert.Null(L4RouteTranslator.ServerNameMatch(["*", "a.example.com"], []));
        Assert.Empty(L4RouteTranslator.ServerNameMatch(["*"], ["10.0.0.0/8"])!.ServerNames);
    }

    internal static Listener Tcp(IReadOnlyList<VirtualServiceSpec> virtualServices) =>
        SidecarTranslator.RoutedTcpListener(Mongo, "10.96.0.14", 27017, MeshProtocol.Mongo, MongoCluster, virtualServices, s_ports, registryOnly: false);

    internal static Listener Tls(IReadOnlyList<VirtualServiceSpec> virtualServices, bool registryOnly = false) =>
        SidecarTranslator.RoutedTcpListener(Secure, "10.96.0.20", 443, MeshProtocol.Tls, SecureCluster, virtualServices, s_ports, registryOnly);

    private static TcpProxy Proxy(FilterChain chain) => Assert.Single(chain.Filters).TypedConfig.Unpack<TcpProxy>();

    private static VirtualServiceSpec Vs(
        string name,
        IReadOnlyList<string>? hosts = null,
        IReadOnlyList<string>? gateways = null,
        IReadOnlyList<TcpRouteSpec>? tcp = null,
        IReadOnlyList<TlsRouteSpec>? tls = null) =>
        new("db", name, hosts ?? [Mongo], [], gateways, null, tcp, tls);

    private static TcpRouteSpec TcpRoute(IReadOnlyList<L4MatchSpec> match, params (string Host, int? Port, int Weight, string? Subset)[] destinations) =>
        new(match, destinations.Select(d => new RouteDestinationSpec(d.Host, d.Port, d.Weight, d.Subset)).ToList());

    private static TlsRouteSpec TlsRoute(IReadOnlyList<TlsMatchSpec> match, params (string Host, int? Port, int Weight, string? Subset)[] destinations) =>
        new(match, destinations.Select(d => new RouteDestinationSpec(d.Host, d.Port, d.Weight, d.Subset)).ToList());

    private static L4MatchSpec L4(
        IReadOnlyList<string>? subnets = null,
        int? port = null,
        IReadOnlyList<string>? gateways = null,
        IReadOnlyDictionary<string, string>? sourceLabels = null,
        string? sourceNamespace = null) =>
        new(subnets ?? [], port, sourceLabels, gateways, sourceNamespace);

    private static TlsMatchSpec Sni(IReadOnlyList<string> sniHosts, IReadOnlyList<string>? subnets = null, int? port = null) =>
        new(sniHosts, subnets ?? [], port, null, null, null);
}
