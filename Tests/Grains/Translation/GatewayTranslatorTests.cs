using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// What a gateway gets from Gateways and the VirtualServices bound to them, read through the real
/// parser and <see cref="ClusterIndex"/>; the expected shapes follow Istio's gateway builder
/// (<c>pilot/pkg/networking/core/gateway.go</c>): listener <c>0.0.0.0_&lt;port&gt;</c>, RDS
/// <c>http.&lt;port&gt;</c>, one virtual host per meeting host named <c>host:port</c>.
/// </summary>
public sealed class GatewayTranslatorTests
{
    private static readonly Dictionary<string, string> s_ingress = new() { ["istio"] = "ingressgateway", ["app"] = "istio-ingressgateway" };

    private const string Productpage = """
        apiVersion: v1
        kind: Service
        metadata: {name: productpage, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: mongodb, namespace: bookinfo}
        spec:
          ports: [{name: tcp-mongo, port: 27017}]
        """;

    private const string BookinfoGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway, namespace: bookinfo}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [bookinfo.example, www.bookinfo.example]
        """;

    private const string BookinfoRoutes = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: bookinfo}
        spec:
          hosts: [bookinfo.example, www.bookinfo.example]
          gateways: [bookinfo-gateway]
          http:
          - match:
            - uri: {exact: /productpage}
            - uri: {prefix: /static}
            route:
            - destination: {host: productpage, port: {number: 9080}}
        """;

    [Fact]
    public void BookinfoIngress_OneListenerOnPort80_RdsHttp80_BothHostsOnOneVirtualHost()
    {
        var resources = Build(Productpage, BookinfoGateway, BookinfoRoutes);

        Assert.Equal([(TypeUrls.Listener, "0.0.0.0_80"), (TypeUrls.RouteConfiguration, "http.80")], resources.Select(r => (r.TypeUrl, r.Name)));
        Assert.All(resources, r => Assert.Equal(ResourceAudience.Router, r.Audience));
        var listener = Listener.Parser.ParseFrom(resources[0].Payload);
        Assert.Equal(("0.0.0.0", 80u), (listener.Address.SocketAddress.Address, listener.Address.SocketAddress.PortValue));

        // Bound for real (bind_to_port unset means true), unlike a sidecar's outbound listeners.
        Assert.Null(listener.BindToPort);
        var manager = Assert.Single(listener.FilterChains).Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("http.80", manager.Rds.RouteConfigName);
        Assert.True(manager.UseRemoteAddress);
        Assert.Equal("outbound_0.0.0.0_80", manager.StatPrefix);
        Assert.Equal(SidecarTranslator.HttpFilters().Select(f => f.Name), manager.HttpFilters.Select(f => f.Name));

        var routes = RouteConfiguration.Parser.ParseFrom(resources[1].Payload);
        Assert.True(routes.IgnorePortInHostMatching);
        Assert.False(routes.ValidateClusters);

        // Same routes for both hosts: collapsed into the first by name, as Istio's route collapse does.
        var host = Assert.Single(routes.VirtualHosts);
        Assert.Equal("bookinfo.example:80", host.Name);
        Assert.Equal(["bookinfo.example", "www.bookinfo.example"], host.Domains);
        Assert.Equal(["/productpage", "/static"], host.Routes.Select(r => r.Match.Path.Length > 0 ? r.Match.Path : r.Match.Prefix));
        Assert.All(host.Routes, r => Assert.Equal("outbound|9080||productpage.bookinfo.svc.cluster.local", r.Route_.Cluster));
    }

    [Fact]
    public void NoGatewaySelectsTheLabels_NothingIsBuilt()
    {
        Assert.Empty(Build(new Dictionary<string, string> { ["istio"] = "egressgateway" }, Productpage, BookinfoGateway, BookinfoRoutes));
    }

    [Fact]
    public void AnEmptySelector_SelectsEveryGateway()
    {
        var resources = Build(new Dictionary<string, string>(), Productpage, BookinfoGateway.Replace("selector: {istio: ingressgateway}", "selector: {}", StringComparison.Ordinal), BookinfoRoutes);

        Assert.Contains(resources, r => r.Name == "0.0.0.0_80");
    }

    [Fact]
    public void NoVirtualServiceBound_TheRouteConfigurationIsIstiosBlackhole404()
    {
        var routes = Routes(Build(Productpage, BookinfoGateway));

        var host = Assert.Single(routes.VirtualHosts);
        Assert.Equal(("blackhole:80", "*"), (host.Name, host.Domains.Single()));
        Assert.Empty(host.Routes);
    }

    [Fact]
    public void HttpsRedirect_RequiresTlsOnEveryHostOfTheServer_BoundOrNot()
    {
        var gateway = BookinfoGateway.Replace("hosts: [bookinfo.example, www.bookinfo.example]", "hosts: [bookinfo.example, www.bookinfo.example]\n    tls: {httpsRedirect: true}", StringComparison.Ordinal);
        var routes = Routes(Build(Productpage, gateway, BookinfoRoutes.Replace("hosts: [bookinfo.example, www.bookinfo.example]", "hosts: [bookinfo.example]", StringComparison.Ordinal)));

        Assert.Equal(["bookinfo.example:80", "www.bookinfo.example:80"], routes.VirtualHosts.Select(h => h.Name));
        Assert.All(routes.VirtualHosts, h => Assert.Equal(VirtualHost.Types.TlsRequirementType.All, h.RequireTls));
        Assert.Empty(routes.VirtualHosts[1].Routes);
    }

    [Fact]
    public void TwoVirtualServicesForTwoHosts_TwoVirtualHosts_AndCatchAllRoutesGoLast()
    {
        var gateway = BookinfoGateway.Replace("hosts: [bookinfo.example, www.bookinfo.example]", "hosts: [\"*.example\"]", StringComparison.Ordinal);
        const string Reviews = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a-catch-all, namespace: bookinfo}
            spec:
              hosts: [api.example]
              gateways: [bookinfo/bookinfo-gateway]
              http:
              - route:
                - destination: {host: productpage}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: b-reviews, namespace: bookinfo}
            spec:
              hosts: [api.example]
              gateways: [bookinfo-gateway]
              http:
              - match: [{uri: {prefix: /reviews}}]
                route:
                - destination: {host: reviews}
            """;

        var routes = Routes(Build(Productpage, gateway, BookinfoRoutes, Reviews));

        // *.example meets each VirtualService host: the more specific name is the virtual host.
        Assert.Equal(["api.example:80", "bookinfo.example:80"], routes.VirtualHosts.Select(h => h.Name));
        var api = routes.VirtualHosts[0];
        Assert.Equal(["api.example"], api.Domains);
        Assert.Equal(
            ["outbound|9080||reviews.bookinfo.svc.cluster.local", "outbound|9080||productpage.bookinfo.svc.cluster.local"],
            api.Routes.Select(r => r.Route_.Cluster));
        Assert.Equal("/", api.Routes[1].Match.Prefix);
    }

    [Fact]
    public void ServerHostsOpenToOneNamespace_DoNotBindAnotherNamespacesVirtualService()
    {
        var gateway = BookinfoGateway.Replace("hosts: [bookinfo.example, www.bookinfo.example]", "hosts: [\"shop/bookinfo.example\", \"./www.bookinfo.example\"]", StringComparison.Ordinal);

        var routes = Routes(Build(Productpage, gateway, BookinfoRoutes));

        // The VirtualService is in bookinfo: only the host open to "." (the Gateway's namespace, bookinfo) binds it.
        var host = Assert.Single(routes.VirtualHosts);
        Assert.Equal(["www.bookinfo.example"], host.Domains);
    }

    [Fact]
    public void MatchesNamingGateways_ApplyOnlyOnThoseGateways_AndSourceLabelsMatchTheGatewaysLabels()
    {
        const string Matches = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: bookinfo, namespace: bookinfo}
            spec:
              hosts: [bookinfo.example, reviews]
              gateways: [bookinfo-gateway, mesh]
              http:
              - match: [{uri: {prefix: /mesh-only}, gateways: [mesh]}]
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /edge}, gateways: [bookinfo-gateway]}]
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /ingress-labels}, sourceLabels: {istio: ingressgateway}}]
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /other-labels}, sourceLabels: {istio: egressgateway}}]
                route: [{destination: {host: reviews}}]
              - route: [{destination: {host: productpage}}]
            """;

        var host = Assert.Single(Routes(Build(Productpage, BookinfoGateway, Matches)).VirtualHosts);

        Assert.Equal(["/edge", "/ingress-labels", "/"], host.Routes.Select(r => r.Match.Prefix));
    }

    [Fact]
    public void TcpServer_ProxiesToTheFirstTcpRouteThatApplies_WeightsBecomeWeightedClusters()
    {
        const string Gateway = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: mongo, namespace: bookinfo}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 27017, name: mongo, protocol: MONGO}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: mongo, namespace: bookinfo}
            spec:
              hosts: [mongodb]
              gateways: [mongo]
              tcp:
              - match: [{port: 1}]
                route: [{destination: {host: reviews, port: {number: 9080}}}]
              - route:
                - destination: {host: mongodb, subset: v1}
                  weight: 70
                - destination: {host: mongodb, subset: v2}
                  weight: 30
            """;

        var resources = Build(Productpage, Gateway);

        var listener = Listener.Parser.ParseFrom(Assert.Single(resources).Payload);
        Assert.Equal("0.0.0.0_27017", listener.Name);
        var proxy = Assert.Single(listener.FilterChains).Filters.Single().TypedConfig.Unpack<TcpProxy>();
        Assert.Equal(
            [("outbound|27017|v1|mongodb.bookinfo.svc.cluster.local", 70u), ("outbound|27017|v2|mongodb.bookinfo.svc.cluster.local", 30u)],
            proxy.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)));
    }

    [Fact]
    public void TlsPassthrough_OneChainPerSniMatch_BehindTheTlsInspector_DuplicateSniSkipped()
    {
        const string Gateway = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: tls, namespace: bookinfo}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: tls, protocol: TLS}
                hosts: ["*.bookinfo.example"]
                tls: {mode: PASSTHROUGH}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: tls, namespace: bookinfo}
            spec:
              hosts: [a.bookinfo.example, b.bookinfo.example]
              gateways: [tls]
              tls:
              - match: [{port: 443, sniHosts: [a.bookinfo.example]}]
                route: [{destination: {host: productpage, port: {number: 9080}}}]
              - match: [{sniHosts: [b.bookinfo.example, a.bookinfo.example]}]
                route: [{destination: {host: reviews, port: {number: 9080}}}]
            """;

        var listener = Listener.Parser.ParseFrom(Assert.Single(Build(Productpage, Gateway)).Payload);

        Assert.Equal(L4RouteTranslator.TlsInspectorName, Assert.Single(listener.ListenerFilters).Name);
        Assert.Equal(
            [("a.bookinfo.example", "outbound|9080||productpage.bookinfo.svc.cluster.local"), ("b.bookinfo.example", "outbound|9080||reviews.bookinfo.svc.cluster.local")],
            listener.FilterChains.Select(c => (string.Join(',', c.FilterChainMatch.ServerNames), c.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster)));
    }

    [Fact]
    public void TwoGatewaysOnOnePort_HttpServersMerge_AConflictingTcpServerIsLeftOut()
    {
        const string Second = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: z-second, namespace: bookinfo}
            spec:
              selector: {app: istio-ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: [reviews.example]
              - port: {number: 8443, name: tcp, protocol: TCP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: z-third, namespace: bookinfo}
            spec:
              selector: {app: istio-ingressgateway}
              servers:
              - port: {number: 80, name: tcp, protocol: TCP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews.example]
              gateways: [z-second, z-third]
              http:
              - route: [{destination: {host: reviews}}]
              tcp:
              - route: [{destination: {host: reviews}}]
            """;

        var resources = Build(Productpage, BookinfoGateway, BookinfoRoutes, Second);

        Assert.Equal(["0.0.0.0_80", "0.0.0.0_8443", "http.80"], resources.Select(r => r.Name).Order(StringComparer.Ordinal));
        var listener = Listener.Parser.ParseFrom(resources.Single(r => r.Name == "0.0.0.0_80").Payload);
        Assert.Equal(SidecarTranslator.HttpConnectionManagerName, Assert.Single(listener.FilterChains).Filters.Single().Name);
        Assert.Equal(["bookinfo.example:80", "reviews.example:80"], Routes(resources).VirtualHosts.Select(h => h.Name));
    }

    [Fact]
    public void EqualInputs_GiveEqualBytes()
    {
        var first = Build(Productpage, BookinfoGateway, BookinfoRoutes);
        var second = Build(BookinfoRoutes, BookinfoGateway, Productpage);

        Assert.Equal(first.Select(r => (r.Name, r.Version)), second.Select(r => (r.Name, r.Version)));
    }

    [Fact]
    public void TheIndex_WarnsOfAnUnknownGatewayAndAMissingDestination_NotOfHostsThatAreNoServices()
    {
        const string Dangling = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: dangling, namespace: bookinfo}
            spec:
              hosts: [shop.example]
              gateways: [bookinfo-gateway, istio-system/missing]
              http:
              - route: [{destination: {host: ghost}}]
            """;
        var index = new ClusterIndex();
        index.Replace(KubernetesObjectParser.Parse("g.yaml", string.Join("\n---\n", Productpage, BookinfoGateway, BookinfoRoutes, Dangling)).Documents.Select(d => d.Value!));

        Assert.Equal(
            ["VirtualService bookinfo/dangling spec.gateways[1]", "VirtualService bookinfo/dangling spec.http[0].route[0].destination.host"],
            index.Warnings.Select(w => $"{w.Kind} {w.Namespace}/{w.Name} {w.Field}"));

        // The Gateway going makes the bound VirtualServices' references dangle.
        index.Change([], [new MeshObjectKey("Gateway", "bookinfo", "bookinfo-gateway")]);
        Assert.Contains(index.Warnings, w => w.Name == "bookinfo" && w.Field == "spec.gateways[0]");
        Assert.Empty(index.GatewayInputsFor(s_ingress).Gateways);
    }

    private static RouteConfiguration Routes(IReadOnlyList<XdsResource> resources) =>
        RouteConfiguration.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.RouteConfiguration).Payload);

    private static IReadOnlyList<XdsResource> Build(params string[] yaml) => Build(s_ingress, yaml);

    /// <summary>Reads <paramref name="yaml"/> as the YAML source does, indexes it, and builds what gateways with <paramref name="labels"/> get.</summary>
    private static IReadOnlyList<XdsResource> Build(IReadOnlyDictionary<string, string> labels, params string[] yaml)
    {
        var documents = KubernetesObjectParser.Parse("gateway.yaml", string.Join("\n---\n", yaml)).Documents;
        Assert.All(documents, d => Assert.Null(d.Rejection));
        var index = new ClusterIndex();
        index.Replace(documents.Select(d => d.Value!));
        return GatewayTranslator.Build(index.GatewayInputsFor(labels), labels);
    }
}
