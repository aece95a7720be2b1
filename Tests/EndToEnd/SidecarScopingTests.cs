using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// Each sidecar is served only the part of the mesh Istio's <c>Sidecar</c> resource and
/// <c>exportTo</c> let it see (written from Istio's docs: "Sidecar", "exportTo", and
/// <c>pilot/pkg/model/sidecar.go</c>): a namespace-wide Sidecar narrows its namespace, a
/// workload-selecting one narrows its workloads (their streams move to its scope), the root
/// namespace's applies where a namespace has none, a Service kept to its namespace is seen there
/// only; and a change reaches the open streams of the scopes it touches.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SidecarScopingTests
{
    private const string Cart = "outbound|8080||cart.shop.svc.cluster.local";
    private const string Web = "outbound|8080||web.shop.svc.cluster.local";
    private const string Ledger = "outbound|9000||ledger.bank.svc.cluster.local";
    private const string Audit = "outbound|9100||audit.bank.svc.cluster.local";

    private static Dictionary<string, string> Mesh() => new()
    {
        ["shop.yaml"] = MeshYaml.Documents(
            HttpService("cart", 8080, "shop"),
            HttpService("web", 8080, "shop"),
            MeshYaml.Pod("web-1", "shop", "v1", "127.1.1.2"),
            Sidecar("default", "shop", ["./*"])),
        ["bank.yaml"] = MeshYaml.Documents(
            HttpService("ledger", 9000, "bank", exportTo: "."),
            HttpService("audit", 9100, "bank")),
    };

    private static string HttpService(string name, int port, string ns, string? exportTo = null) => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{name}}
          namespace: {{ns}}
        {{(exportTo is null ? string.Empty : $"  annotations: {{networking.istio.io/exportTo: \"{exportTo}\"}}")}}
        spec:
          clusterIP: 127.96.{{port % 250}}.{{name.Length}}
          ports:
            - name: http
              port: {{port}}
        """;

    private static string Sidecar(string name, string ns, string[] hosts, string? selectApp = null, string? outboundPolicy = null) =>
        $"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n"
        + (selectApp is null ? string.Empty : $"  workloadSelector: {{labels: {{app: {selectApp}}}}}\n")
        + (outboundPolicy is null ? string.Empty : $"  outboundTrafficPolicy: {{mode: {outboundPolicy}}}\n")
        + $"  egress:\n  - hosts: [{string.Join(", ", hosts.Select(h => $"\"{h}\""))}]\n";

    private static AdsTestClient Connect(MeshServer server, string pod, string ns, string ip) =>
        AdsTestClient.Connect(server.XdsPort, $"sidecar~{ip}~{pod}.{ns}~{ns}.svc.cluster.local", metadata: SidecarServingTests.SidecarMetadata(ns));

    private static async Task<SortedSet<string>> OutboundClustersAsync(AdsTestClient client)
    {
        await client.SendAsync(TypeUrls.Cluster);
        var response = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        await client.AckAsync(response);
        return Outbound(response);
    }

    private static SortedSet<string> Outbound(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
        new(AdsTestClient.Unpack<Cluster>(response).Select(c => c.Name).Where(n => n.StartsWith("outbound|", StringComparison.Ordinal)), StringComparer.Ordinal);

    [Fact]
    public async Task EachSidecar_SeesWhatItsNamespacesSidecarAndExportToLetItSee()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var shop = Connect(server, "cart-1", "shop", "127.1.1.1");
        await using var bank = Connect(server, "audit-1", "bank", "127.1.2.1");
        await using var other = Connect(server, "tool-1", "tools", "127.1.3.1");

        // shop's Sidecar imports its own namespace only.
        Assert.Equal([Cart, Web], await OutboundClustersAsync(shop));

        // No Sidecar in bank or tools: everything exported to the namespace; ledger is kept to bank.
        Assert.Equal([Audit, Cart, Ledger, Web], await OutboundClustersAsync(bank));
        Assert.Equal([Audit, Cart, Web], await OutboundClustersAsync(other));

        // The routes follow: shop's route configuration of port 8080 has its two hosts and the fallthrough.
        await shop.SendAsync(TypeUrls.RouteConfiguration, ["9000"]);
        var none = await shop.ReceiveTypeAsync(TypeUrls.RouteConfiguration);
        Assert.Empty(none.Resources);
        await shop.AckAsync(none, ["9000"]);
        await other.SendAsync(TypeUrls.Listener);
        var listeners = AdsTestClient.Unpack<Listener>(await other.ReceiveTypeAsync(TypeUrls.Listener)).Select(l => l.Name).ToList();
        Assert.Contains("0.0.0.0_9100", listeners);
        Assert.DoesNotContain("0.0.0.0_9000", listeners);

        // One scope per namespace, shared by the proxies in it.
        Assert.Equal(
            [ScopeNames.SidecarScope("Kubernetes", "bank"), ScopeNames.SidecarScope("Kubernetes", "shop"), ScopeNames.SidecarScope("Kubernetes", "tools")],
            server.Streams.Streams.Select(s => s.Scope.Split('+')[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AWorkloadSelectingSidecar_PutsItsWorkloadsInTheirOwnScope_AndTheyMoveBackWhenItGoes()
    {
        var files = Mesh();
        files["web-sidecar.yaml"] = Sidecar("web-only", "shop", ["bank/audit.bank.svc.cluster.local"], selectApp: "web");
        await using var server = await MeshServer.StartAsync(files);
        await using var web = Connect(server, "web-1", "shop", "127.1.1.2");
        await using var cart = Connect(server, "cart-1", "shop", "127.1.1.1");

        // The pod at web's address carries app: web: its Sidecar applies before anything is sent.
        Assert.Equal([Audit], await OutboundClustersAsync(web));
        Assert.Equal([Cart, Web], await OutboundClustersAsync(cart));
        var webStream = server.Streams.Streams.Single(s => s.NodeId.Contains("web-1", StringComparison.Ordinal));
        Assert.StartsWith(ScopeNames.SidecarScope("Kubernetes", "shop", "web-only") + "+", webStream.Scope, StringComparison.Ordinal);

        // The Sidecar goes: web falls back to its namespace's Sidecar, on its open stream.
        await server.WriteConfigAsync("web-sidecar.yaml", string.Empty);
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await web.ReceiveTypeAsync(TypeUrls.Cluster);
                await web.AckAsync(update);
                return Outbound(update).SetEquals([Cart, Web]);
            },
            TimeSpan.FromSeconds(20),
            "web is sent its namespace's clusters");
        Assert.StartsWith(ScopeNames.SidecarScope("Kubernetes", "shop") + "+", server.Streams.Streams.Single(s => s.NodeId.Contains("web-1", StringComparison.Ordinal)).Scope, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APodWhoseLabelsChange_MovesIntoTheScopeOfTheSidecarThatNowSelectsIt()
    {
        var files = Mesh();
        files["web-sidecar.yaml"] = Sidecar("web-only", "shop", ["bank/audit.bank.svc.cluster.local"], selectApp: "web");
        files["tool.yaml"] = PodYaml("tool-1", "shop", "tool", "127.1.1.3");
        await using var server = await MeshServer.StartAsync(files);
        await using var tool = Connect(server, "tool-1", "shop", "127.1.1.3");
        Assert.Equal([Cart, Web], await OutboundClustersAsync(tool));

        // Relabelled app: web, the pod is chosen by web-only: its open stream moves there.
        await server.WriteConfigAsync("tool.yaml", PodYaml("tool-1", "shop", "web", "127.1.1.3"));
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await tool.ReceiveTypeAsync(TypeUrls.Cluster);
                await tool.AckAsync(update);
                return Outbound(update).SetEquals([Audit]);
            },
            TimeSpan.FromSeconds(20),
            "the relabelled pod's proxy is sent web-only's view");
        Assert.StartsWith(ScopeNames.SidecarScope("Kubernetes", "shop", "web-only") + "+", Assert.Single(server.Streams.Streams).Scope, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointChangeInOneNamespace_ReachesNoStreamWhoseScopeExcludesIt()
    {
        var files = Mesh();
        files["bank-sidecar.yaml"] = Sidecar("default", "bank", ["./*"]);
        files["cart-slice.yaml"] = CartSlice("127.2.0.1");
        await using var server = await MeshServer.StartAsync(files);
        await using var shop = Connect(server, "web-1", "shop", "127.1.1.2");
        await using var tools = Connect(server, "tool-1", "tools", "127.1.3.1");
        await using var bank = Connect(server, "audit-1", "bank", "127.1.2.1");
        var audit = new[] { Audit, Ledger };
        foreach (var (client, clusters) in new[] { (shop, new[] { Cart, Web }), (tools, new[] { Audit, Cart, Web }), (bank, audit) })
        {
            Assert.Equal(new SortedSet<string>(clusters, StringComparer.Ordinal), await OutboundClustersAsync(client));
            await client.SendAsync(TypeUrls.ClusterLoadAssignment, clusters);
            await client.AckAsync(await client.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment), clusters);
        }

        await server.WriteConfigAsync("cart-slice.yaml", CartSlice("127.2.0.1", "127.2.0.2"));

        // The two namespaces that see cart get its new endpoints; bank's scope excludes shop and hears nothing.
        foreach (var client in new[] { shop, tools })
        {
            var update = await client.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment, TimeSpan.FromSeconds(20));
            var cart = AdsTestClient.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>(update).Single(a => a.ClusterName == Cart);
            Assert.Equal(2, cart.Endpoints.SelectMany(e => e.LbEndpoints).Count());
            await client.AckAsync(update, client == shop ? [Cart, Web] : [Audit, Cart, Web]);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => bank.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment, TimeSpan.FromSeconds(1)));
    }

    // cart's slice, its port named as the Service's (http).
    private static string CartSlice(params string[] addresses) =>
        MeshYaml.Slice("cart-1", "cart", 8080, addresses.Select(a => (a, true)), ns: "shop").Replace("- name: grpc", "- name: http", StringComparison.Ordinal);

    private static string PodYaml(string name, string ns, string app, string ip) =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{app: {app}}}\nstatus: {{podIP: {ip}, phase: Running}}\n";

    [Fact]
    public async Task TheRootNamespacesSidecar_AppliesWhereANamespaceHasNone_AndNarrowsOpenStreams()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var bank = Connect(server, "audit-1", "bank", "127.1.2.1");
        await using var shop = Connect(server, "cart-1", "shop", "127.1.1.1");
        Assert.Equal([Audit, Cart, Ledger, Web], await OutboundClustersAsync(bank));
        Assert.Equal([Cart, Web], await OutboundClustersAsync(shop));

        await server.WriteConfigAsync("root.yaml", Sidecar("default", "istio-system", ["./*", "istio-system/*"]));

        // bank now imports its own namespace only; shop keeps its own Sidecar and hears nothing.
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await bank.ReceiveTypeAsync(TypeUrls.Cluster);
                await bank.AckAsync(update);
                return Outbound(update).SetEquals([Audit, Ledger]);
            },
            TimeSpan.FromSeconds(20),
            "bank is sent its own namespace's clusters only");
        await Assert.ThrowsAnyAsync<Exception>(() => shop.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task ADeltaStream_WhoseSidecarNarrows_IsSentTheRemovalsOnly()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var bank = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.1.2.1~audit-1.bank~bank.svc.cluster.local", metadata: SidecarServingTests.SidecarMetadata("bank"));
        await bank.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
        var first = await bank.ReceiveAsync();
        await bank.AckAsync(first);
        Assert.Contains(Cart, first.Resources.Select(r => r.Name));

        await server.WriteConfigAsync("bank-sidecar.yaml", Sidecar("default", "bank", ["./*"]));

        var narrowed = await bank.ReceiveAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(TypeUrls.Cluster, narrowed.TypeUrl);
        Assert.Empty(narrowed.Resources);
        Assert.Equal([Cart, Web], narrowed.RemovedResources.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ASidecarsOutboundTrafficPolicy_OverridesTheMeshs_ForItsProxiesOnly()
    {
        var files = Mesh();
        files["shop.yaml"] = files["shop.yaml"].Replace(Sidecar("default", "shop", ["./*"]), Sidecar("default", "shop", ["./*"], outboundPolicy: "REGISTRY_ONLY"), StringComparison.Ordinal);
        await using var server = await MeshServer.StartAsync(files);
        await using var shop = Connect(server, "cart-1", "shop", "127.1.1.1");
        await using var bank = Connect(server, "audit-1", "bank", "127.1.2.1");

        async Task<(string Fallthrough, string Passthrough)> PoliciesAsync(AdsTestClient client)
        {
            await client.SendAsync(TypeUrls.Listener);
            var outbound = AdsTestClient.Unpack<Listener>(await client.ReceiveTypeAsync(TypeUrls.Listener)).Single(l => l.Name == "virtualOutbound");
            await client.SendAsync(TypeUrls.RouteConfiguration, ["8080"]);
            var routes = AdsTestClient.Unpack<RouteConfiguration>(await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
            return (routes.VirtualHosts[^1].Name, outbound.FilterChains[^1].Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        }

        Assert.Equal(("block_all", "BlackHoleCluster"), await PoliciesAsync(shop));
        Assert.Equal(("allow_any", "PassthroughCluster"), await PoliciesAsync(bank));
    }
    [Theory]
    [InlineData(null)]
    [InlineData("REGISTRY_ONLY")]
    public async Task ACallToAHostOutsideTheSidecarsScope_PassesThroughOrIsDropped_AsItsOutboundTrafficPolicySays(string? policy)
    {
        var files = Mesh();
        files["shop.yaml"] = files["shop.yaml"].Replace(Sidecar("default", "shop", ["./*"]), Sidecar("default", "shop", ["./*"], outboundPolicy: policy), StringComparison.Ordinal);
        await using var server = await MeshServer.StartAsync(files);
        await using var shopClient = Connect(server, "cart-1", "shop", "127.1.1.1");
        await using var bankClient = Connect(server, "audit-1", "bank", "127.1.2.1");
        var shop = new Simulator(await AdsProxyConfig.FetchAsync(shopClient));
        var bank = new Simulator(await AdsProxyConfig.FetchAsync(bankClient));

        // audit.bank is exported everywhere, but shop's Sidecar imports only its own namespace.
        var toAudit = Call.Http("audit.bank.svc.cluster.local:9100", "127.96.100.5", 9100);
        bank.Simulate(toAudit).ShouldReach(Audit);
        shop.Simulate(Call.Http("cart.shop.svc.cluster.local:8080", "127.96.80.4", 8080)).ShouldReach(Cart);
        if (policy is null)
        {
            var passed = shop.Simulate(toAudit).ShouldReach("PassthroughCluster");
            Assert.Equal(["127.96.100.5:9100"], passed.Endpoints);
            shop.Simulate(Call.Tcp("127.96.100.5", 9100)).ShouldReach("PassthroughCluster");
        }
        else
        {
            shop.Simulate(toAudit).ShouldReach("BlackHoleCluster");
            shop.Simulate(Call.Tcp("127.96.100.5", 9100)).ShouldReach("BlackHoleCluster");
        }
    }

    [Fact]
    public async Task ProxiesInEachNamespace_TakeTheDestinationRuleAndVirtualServiceIstioLooksUpForThem()
    {
        // audit lives in bank. bank keeps a rule to itself; tools has a rule and a VirtualService of
        // its own for audit, the VirtualService kept to tools (exportTo ".").
        const string Host = "audit.bank.svc.cluster.local";
        var files = Mesh();
        files["rules.yaml"] = MeshYaml.Documents(
            $"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: audit-private, namespace: bank}}\nspec:\n  host: {Host}\n  exportTo: [\".\"]\n  trafficPolicy: {{loadBalancer: {{simple: LEAST_REQUEST}}}}\n",
            $"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: audit-for-tools, namespace: tools}}\nspec:\n  host: {Host}\n  trafficPolicy: {{loadBalancer: {{simple: RANDOM}}}}\n",
            $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: audit-slow, namespace: tools}}\nspec:\n  hosts: [{Host}]\n  exportTo: [\".\"]\n  http:\n  - timeout: 3s\n    route:\n    - destination: {{host: {Host}}}\n");
        await using var server = await MeshServer.StartAsync(files);
        await using var bank = Connect(server, "audit-1", "bank", "127.1.2.1");
        await using var tools = Connect(server, "tool-1", "tools", "127.1.3.1");
        await using var other = Connect(server, "x-1", "other", "127.1.4.1");

        async Task<(Cluster.Types.LbPolicy Policy, TimeSpan Timeout)> AuditAsync(AdsTestClient client)
        {
            await client.SendAsync(TypeUrls.Cluster);
            var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster);
            await client.AckAsync(clusters);
            var cluster = AdsTestClient.Unpack<Cluster>(clusters).Single(c => c.Name == Audit);
            await client.SendAsync(TypeUrls.RouteConfiguration, ["9100"]);
            var routes = AdsTestClient.Unpack<RouteConfiguration>(await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
            var route = routes.VirtualHosts.Single(v => v.Name == Host + ":9100").Routes[0];
            return (cluster.LbPolicy, route.Route_.Timeout.ToTimeSpan());
        }

        // Istio's lookup: the proxy's namespace, then the service's (what it exports), then the root.
        Assert.Equal((Cluster.Types.LbPolicy.LeastRequest, TimeSpan.Zero), await AuditAsync(bank));
        Assert.Equal((Cluster.Types.LbPolicy.Random, TimeSpan.FromSeconds(3)), await AuditAsync(tools));
        Assert.Equal((Cluster.Types.LbPolicy.RoundRobin, TimeSpan.Zero), await AuditAsync(other));

        // The VirtualService exported everywhere: other namespaces take its route too; tools keeps its rule.
        await server.WriteConfigAsync("rules.yaml", files["rules.yaml"].Replace("exportTo: [\".\"]\n  http", "exportTo: [\"*\"]\n  http", StringComparison.Ordinal));
        await Eventually.TrueAsync(
            async () =>
            {
                await using var again = Connect(server, "x-2", "other", "127.1.4.2");
                return await AuditAsync(again) == (Cluster.Types.LbPolicy.RoundRobin, TimeSpan.FromSeconds(3));
            },
            TimeSpan.FromSeconds(20),
            "a proxy of another namespace is routed by the VirtualService exported to it");
        Assert.Equal((Cluster.Types.LbPolicy.Random, TimeSpan.FromSeconds(3)), await AuditAsync(Connect(server, "tool-2", "tools", "127.1.3.2")));
    }
    [Fact]
    public async Task AGateway_TakesTheHostnamesExportedToItsNamespace_WithTheDestinationRulesLookedUpForIt()
    {
        var files = Mesh();
        files["rules.yaml"] = MeshYaml.Documents(Rule("cart-shop", "shop", "RANDOM"), Rule("cart-edge", "edge", "LEAST_REQUEST", exportTo: "."));
        await using var server = await MeshServer.StartAsync(files);

        async Task<Dictionary<string, Cluster>> ClustersAsync(string? ns)
        {
            await using var gateway = AdsTestClient.Connect(server.XdsPort, ns is null ? "router~127.1.9.1~gw-1~" : $"router~127.1.9.1~gw-1.{ns}~{ns}.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata(ns: ns));
            await gateway.SendAsync(TypeUrls.Cluster);
            return AdsTestClient.Unpack<Cluster>(await gateway.ReceiveTypeAsync(TypeUrls.Cluster)).ToDictionary(c => c.Name);
        }

        // Istio's lookup for the gateway's namespace: its own rule, else the service's namespace's.
        var edge = await ClustersAsync("edge");
        Assert.Equal(Cluster.Types.LbPolicy.LeastRequest, edge[Cart].LbPolicy);
        Assert.DoesNotContain(Ledger, edge.Keys);
        Assert.Contains(Audit, edge.Keys);
        var other = await ClustersAsync("other");
        Assert.Equal(Cluster.Types.LbPolicy.Random, other[Cart].LbPolicy);
        Assert.DoesNotContain(Ledger, other.Keys);

        // Without a namespace, the whole mesh's clusters and rules.
        var anywhere = await ClustersAsync(null);
        Assert.Equal(Cluster.Types.LbPolicy.Random, anywhere[Cart].LbPolicy);
        Assert.Contains(Ledger, anywhere.Keys);

        static string Rule(string name, string ns, string lb, string? exportTo = null) => $$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: {{name}}
              namespace: {{ns}}
            spec:
              host: cart.shop.svc.cluster.local
            {{(exportTo is null ? string.Empty : $"  exportTo: [\"{exportTo}\"]")}}
              trafficPolicy:
                loadBalancer:
                  simple: {{lb}}
            """;
    }

    [Fact]
    public async Task ARouteMatchingASourceNamespace_RoutesThatNamespacesSidecarsOnly()
    {
        const string Host = "audit.bank.svc.cluster.local";
        var files = Mesh();
        files["routes.yaml"] = $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: audit, namespace: bank}}\nspec:\n  hosts: [{Host}]\n  http:\n"
            + $"  - match: [{{sourceNamespace: tools}}]\n    timeout: 3s\n    route: [{{destination: {{host: {Host}}}}}]\n"
            + $"  - route: [{{destination: {{host: {Host}}}}}]\n";
        await using var server = await MeshServer.StartAsync(files);

        async Task<List<TimeSpan>> TimeoutsAsync(string pod, string ns, string ip)
        {
            await using var client = Connect(server, pod, ns, ip);
            await client.SendAsync(TypeUrls.RouteConfiguration, ["9100"]);
            var routes = AdsTestClient.Unpack<RouteConfiguration>(await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
            return routes.VirtualHosts.Single(v => v.Name == Host + ":9100").Routes.Select(r => r.Route_.Timeout.ToTimeSpan()).ToList();
        }

        // tools' sidecars take the source-namespace route first; everyone else only the catch-all.
        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.Zero], await TimeoutsAsync("tool-1", "tools", "127.1.3.1"));
        Assert.Equal([TimeSpan.Zero], await TimeoutsAsync("audit-1", "bank", "127.1.2.1"));
        Assert.Equal([TimeSpan.Zero], await TimeoutsAsync("x-1", "other", "127.1.4.1"));
    }
    [Fact]
    public async Task ASidecarsIngressListeners_AreItsWorkloadsInboundSide()
    {
        var files = Mesh();
        files["web-sidecar.yaml"] = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: web-ingress, namespace: shop}
            spec:
              workloadSelector: {labels: {app: web}}
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http-api}
                defaultEndpoint: 127.0.0.1:8081
              - port: {number: 9443, protocol: TCP, name: tcp-raw}
                defaultEndpoint: 0.0.0.0:9444
              - port: {number: 9500, protocol: GRPC, name: grpc-uds}
                defaultEndpoint: unix:///var/run/app.sock
            """;
        await using var server = await MeshServer.StartAsync(files);
        await using var web = Connect(server, "web-1", "shop", "127.1.1.2");

        await web.SendAsync(TypeUrls.Cluster);
        var clusters = AdsTestClient.Unpack<Cluster>(await web.ReceiveTypeAsync(TypeUrls.Cluster)).Where(c => c.Name.StartsWith("inbound|", StringComparison.Ordinal)).ToDictionary(c => c.Name);
        Assert.Equal(["inbound|9080||", "inbound|9443||", "inbound|9500||"], clusters.Keys.Order(StringComparer.Ordinal));
        var api = clusters["inbound|9080||"].LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress;
        Assert.Equal(("127.0.0.1", 8081u), (api.Address, api.PortValue));
        var raw = clusters["inbound|9443||"].LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress;
        Assert.Equal(("127.1.1.2", 9444u), (raw.Address, raw.PortValue));
        Assert.Equal("/var/run/app.sock", clusters["inbound|9500||"].LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.Pipe.Path);

        await web.SendAsync(TypeUrls.Listener);
        var inbound = AdsTestClient.Unpack<Listener>(await web.ReceiveTypeAsync(TypeUrls.Listener)).Single(l => l.Name == "virtualInbound");
        var chains = inbound.FilterChains.Where(c => c.FilterChainMatch.DestinationPort > 0).ToDictionary(c => c.FilterChainMatch.DestinationPort!.Value, c => c.Filters.Single().Name);
        Assert.Equal("envoy.filters.network.http_connection_manager", chains[9080]);
        Assert.Equal("envoy.filters.network.tcp_proxy", chains[9443]);
        Assert.Equal("envoy.filters.network.http_connection_manager", chains[9500]);

        // A proxy the Sidecar does not select keeps the inbound side its Services give it (none here).
        await using var cart = Connect(server, "cart-1", "shop", "127.1.1.1");
        await cart.SendAsync(TypeUrls.Cluster);
        Assert.DoesNotContain(AdsTestClient.Unpack<Cluster>(await cart.ReceiveTypeAsync(TypeUrls.Cluster)), c => c.Name.StartsWith("inbound|9", StringComparison.Ordinal));
    }
}
