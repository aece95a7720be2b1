using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>The outbound pieces <see cref="SidecarTranslator.ServicePort"/> builds for one service port.</summary>
public sealed class SidecarTranslatorTests
{
    private const string Cluster = "outbound|3306||mysql.default.svc.cluster.local";
    private static readonly ServicePort s_tcp = new("tcp-mysql", 3306, null, "TCP", null);
    private static readonly ServicePort s_http = new("http", 3306, null, "TCP", null);
    private static readonly ServicePort s_unnamed = new("", 3306, null, "TCP", null);

    [Fact]
    public void ServicePort_TcpWithClusterIp_IsOneListenerOnTheClusterIp()
    {
        var resources = ServicePort(Service("10.96.0.9", s_tcp), s_tcp, Slice("mysql-a", ("10.1.0.1", true)));

        var listener = Assert.Single(Listeners(resources));
        Assert.Equal("10.96.0.9_3306", listener.Name);
        Assert.Equal("10.96.0.9", listener.Address.SocketAddress.Address);
        Assert.Equal(ResourceAudience.Sidecar, Assert.Single(resources).Audience);
    }

    [Fact]
    public void ServicePort_HeadlessTcp_IsOneListenerPerDistinctReadyEndpoint_ProxyingToTheServiceCluster()
    {
        var resources = ServicePort(Service(null, s_tcp), s_tcp,
            Slice("mysql-a", ("10.1.0.2", true), ("10.1.0.1", true), ("10.1.0.3", false)),
            Slice("mysql-b", ("10.1.0.1", true), ("fd00::4", true)));

        var listeners = Listeners(resources);
        Assert.Equal(["10.1.0.1_3306", "10.1.0.2_3306", "fd00::4_3306"], listeners.Select(l => l.Name));
        Assert.Equal(["10.1.0.1", "10.1.0.2", "fd00::4"], listeners.Select(l => l.Address.SocketAddress.Address));
        Assert.All(listeners, l => Assert.Equal(3306u, l.Address.SocketAddress.PortValue));
        Assert.All(listeners, l => Assert.False(l.BindToPort));
        Assert.All(listeners, l => Assert.Equal(Cluster, Assert.Single(l.FilterChains).Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster));
        Assert.DoesNotContain(resources, r => r.Name == SidecarTranslator.HttpListenerName(3306));
    }

    [Fact]
    public void ServicePort_HeadlessTcpWithoutEndpoints_IsNothing()
    {
        Assert.Empty(ServicePort(Service(null, s_tcp), s_tcp));
        Assert.Empty(ServicePort(Service(null, s_tcp), s_tcp, Slice("mysql-a", ("10.1.0.1", false))));
    }

    [Fact]
    public void ServicePort_HeadlessTcp_TakesOnlyEndpointsOfSlicesServingThePortByName_AndOnlyIpAddresses()
    {
        var other = new MeshEndpointSlice("default", "mysql-admin", "mysql", "IPv4", [new SlicePort("admin", 3306, "TCP")],
            [new SliceEndpoint(["10.1.0.8"], true, true, false, null, null, null)]);
        var fqdn = Slice("mysql-fqdn", ("db.example.com", true), ("0.0.0.0", true), ("10.1.0.9", true));

        var listeners = Listeners(ServicePort(Service(null, s_tcp), s_tcp, other, fqdn));

        Assert.Equal(["10.1.0.9_3306"], listeners.Select(l => l.Name));
    }

    [Fact]
    public void ServicePort_HeadlessHttp_IsItsVirtualHostPiece_NotAListener()
    {
        var resource = Assert.Single(ServicePort(Service(null, s_http), s_http, Slice("mysql-a", ("10.1.0.1", true))));

        Assert.Equal(TypeUrls.VirtualHostPiece, resource.TypeUrl);
        Assert.Equal("mysql.default.svc.cluster.local:3306", resource.Name);
    }

    [Fact]
    public void ServicePort_Udp_IsNothing()
    {
        var udp = new ServicePort("dns", 53, null, "UDP", null);

        Assert.Empty(ServicePort(Service(null, udp), udp, Slice("mysql-a", ("10.1.0.1", true))));
    }

    [Fact]
    public void ServicePort_UndeclaredProtocolWithClusterIp_IsThePiece_ASniffingListenerOnTheClusterIp_AndTheRoutesOfThePortAlone()
    {
        var resources = ServicePort(Service("10.96.0.9", s_unnamed), s_unnamed, Slice("mysql-a", ("10.1.0.1", true)));

        Assert.Equal([TypeUrls.VirtualHostPiece, TypeUrls.Listener, TypeUrls.RouteConfiguration], resources.Select(r => r.TypeUrl));
        Assert.All(resources, r => Assert.Equal(ResourceAudience.Sidecar, r.Audience));
        Assert.Equal("mysql.default.svc.cluster.local:3306", resources[0].Name);

        // As Istio's sniffed listener: TCP by default, HTTP where the inspector found plaintext HTTP.
        var listener = Assert.Single(Listeners([resources[1]]));
        Assert.Equal("10.96.0.9_3306", listener.Name);
        Assert.False(listener.BindToPort);
        Assert.Equal(Cluster, listener.DefaultFilterChain.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        var http = Assert.Single(listener.FilterChains);
        Assert.Equal("raw_buffer", http.FilterChainMatch.TransportProtocol);
        Assert.Equal(["http/1.1", "h2c"], http.FilterChainMatch.ApplicationProtocols);
        var manager = http.Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("mysql.default.svc.cluster.local:3306", manager.Rds.RouteConfigName);
        Assert.Equal("outbound_10.96.0.9_3306", manager.StatPrefix);
        Assert.Equal([WorkloadTranslator.HttpInspectorName], listener.ListenerFilters.Select(f => f.Name));
        Assert.True(listener.ContinueOnListenerFiltersTimeout);

        // The RouteConfiguration of the port alone: its virtual host for any authority, no catch-all.
        var routes = RouteConfiguration.Parser.ParseFrom(resources[2].Payload);
        Assert.Equal("mysql.default.svc.cluster.local:3306", routes.Name);
        var host = Assert.Single(routes.VirtualHosts);
        Assert.Equal("mysql.default.svc.cluster.local:3306", host.Name);
        Assert.Equal(["*"], host.Domains);
        Assert.False(routes.ValidateClusters);
    }

    [Fact]
    public void ServicePort_UndeclaredProtocolHeadless_SniffsOnEachReadyEndpoint_AndWithoutEndpointsIsThePieceAlone()
    {
        var resources = ServicePort(Service(null, s_unnamed), s_unnamed, Slice("mysql-a", ("10.1.0.2", true), ("10.1.0.1", true), ("10.1.0.3", false)));

        Assert.Equal(["10.1.0.1_3306", "10.1.0.2_3306"], Listeners(resources.Where(r => r.TypeUrl == TypeUrls.Listener)).Select(l => l.Name));
        Assert.Single(resources, r => r.TypeUrl == TypeUrls.RouteConfiguration);

        var alone = Assert.Single(ServicePort(Service(null, s_unnamed), s_unnamed));
        Assert.Equal(TypeUrls.VirtualHostPiece, alone.TypeUrl);
    }

    [Theory]
    [InlineData(false, "PassthroughCluster")]
    [InlineData(true, "BlackHoleCluster")]
    public void HttpListener_TakesSniffedHttp_AndSendsAnythingElseWhereItWasGoing(bool registryOnly, string fallback)
    {
        var listener = SidecarTranslator.HttpListener(9080, registryOnly);

        Assert.Equal("0.0.0.0_9080", listener.Name);
        var http = Assert.Single(listener.FilterChains);
        Assert.Equal(["http/1.1", "h2c"], http.FilterChainMatch.ApplicationProtocols);
        Assert.Equal("9080", http.Filters.Single().TypedConfig.Unpack<HttpConnectionManager>().Rds.RouteConfigName);
        Assert.Equal(fallback, listener.DefaultFilterChain.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        Assert.Equal([WorkloadTranslator.HttpInspectorName], listener.ListenerFilters.Select(f => f.Name));
    }

    [Fact]
    public void TcpListener_WithoutAnAddress_Throws() =>
        Assert.ThrowsAny<ArgumentException>(() => SidecarTranslator.TcpListener("", 3306, Cluster));

    private static IReadOnlyList<XdsResource> ServicePort(MeshService service, ServicePort port, params MeshEndpointSlice[] slices) =>
        SidecarTranslator.ServicePort(service, port, Cluster, new VirtualHost { Name = $"{service.Hostname}:{port.Port}" }, slices);

    private static List<Listener> Listeners(IEnumerable<XdsResource> resources) => resources
        .Select(r =>
        {
            Assert.Equal(TypeUrls.Listener, r.TypeUrl);
            var listener = Listener.Parser.ParseFrom(r.Payload);
            Assert.Equal(listener.Name, r.Name);
            return listener;
        })
        .ToList();

    private static MeshService Service(string? clusterIp, ServicePort port) => new("default", "mysql", [port], clusterIp);

    private static MeshEndpointSlice Slice(string name, params (string Address, bool Ready)[] endpoints) =>
        new("default", name, "mysql", "IPv4", [new SlicePort(s_tcp.Name, 3306, "TCP"), new SlicePort(s_http.Name, 3306, "TCP"), new SlicePort(s_unnamed.Name, 3306, "TCP")],
            endpoints.Select(e => new SliceEndpoint([e.Address], e.Ready, e.Ready, false, null, null, null)).ToList());
}
