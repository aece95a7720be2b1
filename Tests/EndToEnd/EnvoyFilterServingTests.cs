using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// EnvoyFilters patch what the sidecars they select are served, as Istio's
/// <c>EnvoyFilters(proxy)</c> picks them (the root namespace's and the proxy's namespace's,
/// without a selector or with one the proxy's labels satisfy): the outbound side in the proxy's
/// sidecar scope, the inbound side in its workload's; a workload-selecting EnvoyFilter puts its
/// proxies in a scope of their own, shared by every proxy it selects; a patch that does nothing is
/// listed on its EnvoyFilter in <c>/debug/config</c>.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class EnvoyFilterServingTests
{
    private const string CartCluster = "outbound|8080||cart.shop.svc.cluster.local";

    private static Dictionary<string, string> Mesh() => new()
    {
        ["shop.yaml"] = MeshYaml.Documents(
            Service("cart", 8080),
            Service("web", 8080),
            MeshYaml.SliceOfPods("web-1", "web", 8080, "shop", ("127.1.1.2", "web-1")),
            MeshYaml.Pod("web-1", "shop", "v1", "127.1.1.2"),
            MeshYaml.Pod("cart-1", "shop", "v1", "127.1.1.1")),
        ["bank.yaml"] = Service("ledger", 9000, "bank"),
    };

    private static string Service(string name, int port, string ns = "shop") =>
        $"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  clusterIP: 127.96.{port % 250}.{name.Length}\n  ports:\n  - {{name: http, port: {port}}}\n";

    private const string LuaOnOutbound8080 = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: lua-out, namespace: shop}
        spec:
          configPatches:
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_OUTBOUND
              listener:
                portNumber: 8080
                filterChain:
                  filter:
                    name: envoy.filters.network.http_connection_manager
                    subFilter: {name: envoy.filters.http.router}
            patch:
              operation: INSERT_BEFORE
              value:
                name: envoy.lua
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                  inlineCode: "function envoy_on_request(h) h:headers():add('x-lua', 'yes') end"
        """;

    private const string WebTimeouts = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: web-timeouts, namespace: shop}
        spec:
          workloadSelector:
            labels: {app: web}
          configPatches:
          - applyTo: CLUSTER
            match:
              context: SIDECAR_OUTBOUND
              cluster: {service: cart.shop.svc.cluster.local}
            patch:
              operation: MERGE
              value: {connect_timeout: 3s}
          - applyTo: CLUSTER
            match:
              context: SIDECAR_INBOUND
              cluster: {portNumber: 8080}
            patch:
              operation: MERGE
              value: {connect_timeout: 7s}
        """;

    private const string MatchesNothing = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: nowhere, namespace: shop}
        spec:
          configPatches:
          - applyTo: LISTENER
            match:
              context: SIDECAR_OUTBOUND
              listener: {name: no-such-listener}
            patch:
              operation: MERGE
              value: {per_connection_buffer_limit_bytes: 1024}
        """;

    private static AdsTestClient Connect(MeshServer server, string pod, string ns, string ip) =>
        AdsTestClient.Connect(server.XdsPort, $"sidecar~{ip}~{pod}.{ns}~{ns}.svc.cluster.local", metadata: SidecarServingTests.SidecarMetadata(ns));

    private static async Task<Dictionary<string, T>> ReceiveAsync<T>(AdsTestClient client, string typeUrl, Func<T, string> name)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        await client.SendAsync(typeUrl);
        var response = await client.ReceiveTypeAsync(typeUrl);
        await client.AckAsync(response);
        return AdsTestClient.Unpack<T>(response).ToDictionary(name);
    }

    private static List<string> HttpFilters(Listener listener) =>
        listener.FilterChains.SelectMany(c => c.Filters)
            .Where(f => f.Name == "envoy.filters.network.http_connection_manager")
            .SelectMany(f => f.TypedConfig.Unpack<HttpConnectionManager>().HttpFilters.Select(h => h.Name))
            .Distinct()
            .ToList();

    [Fact]
    public async Task ANamespacesEnvoyFilter_PatchesTheOutboundSideOfItsSidecars_AndNoOtherNamespaces()
    {
        var files = Mesh();
        files["lua.yaml"] = LuaOnOutbound8080;
        await using var server = await MeshServer.StartAsync(files);
        await using var shop = Connect(server, "cart-1", "shop", "127.1.1.1");
        await using var bank = Connect(server, "ledger-1", "bank", "127.1.2.1");

        var shopListeners = await ReceiveAsync<Listener>(shop, TypeUrls.Listener, l => l.Name);
        var bankListeners = await ReceiveAsync<Listener>(bank, TypeUrls.Listener, l => l.Name);

        Assert.Equal(["envoy.lua", "envoy.filters.http.router"], HttpFilters(shopListeners["0.0.0.0_8080"]).TakeLast(2));
        Assert.DoesNotContain("envoy.lua", HttpFilters(bankListeners["0.0.0.0_8080"]));
        Assert.DoesNotContain("envoy.lua", HttpFilters(shopListeners["0.0.0.0_9000"]));

        // Removed, the patch is taken back from the open stream.
        await server.WriteConfigAsync("lua.yaml", string.Empty);
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await shop.ReceiveTypeAsync(TypeUrls.Listener);
                await shop.AckAsync(update);
                return !HttpFilters(AdsTestClient.Unpack<Listener>(update).Single(l => l.Name == "0.0.0.0_8080")).Contains("envoy.lua");
            },
            TimeSpan.FromSeconds(20),
            "the Lua filter is gone");
    }

    [Fact]
    public async Task AWorkloadSelectingEnvoyFilter_PatchesItsWorkloadsBothSides_InAScopeOfTheirOwn()
    {
        var files = Mesh();
        files["timeouts.yaml"] = WebTimeouts;
        await using var server = await MeshServer.StartAsync(files);
        await using var web = Connect(server, "web-1", "shop", "127.1.1.2");
        await using var cart = Connect(server, "cart-1", "shop", "127.1.1.1");

        var webClusters = await ReceiveAsync<Cluster>(web, TypeUrls.Cluster, c => c.Name);
        var cartClusters = await ReceiveAsync<Cluster>(cart, TypeUrls.Cluster, c => c.Name);

        Assert.Equal(TimeSpan.FromSeconds(3), webClusters[CartCluster].ConnectTimeout.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(7), webClusters["inbound|8080||"].ConnectTimeout.ToTimeSpan());
        Assert.NotEqual(TimeSpan.FromSeconds(3), cartClusters[CartCluster].ConnectTimeout.ToTimeSpan());
        Assert.StartsWith(
            ScopeNames.SidecarScope("Kubernetes", "shop", null, ["shop/web-timeouts"]) + "+",
            server.Streams.Streams.Single(s => s.NodeId.Contains("web-1", StringComparison.Ordinal)).Scope,
            StringComparison.Ordinal);
        Assert.StartsWith(
            ScopeNames.SidecarScope("Kubernetes", "shop") + "+",
            server.Streams.Streams.Single(s => s.NodeId.Contains("cart-1", StringComparison.Ordinal)).Scope,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task APatchThatMatchesNothing_IsListedOnItsEnvoyFilter_AndChangesNothing()
    {
        var files = Mesh();
        files["nowhere.yaml"] = MatchesNothing;
        await using var server = await MeshServer.StartAsync(files);
        await using var shop = Connect(server, "cart-1", "shop", "127.1.1.1");
        Assert.Contains("virtualOutbound", (await ReceiveAsync<Listener>(shop, TypeUrls.Listener, l => l.Name)).Keys);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        JsonNode? warning = null;
        await Eventually.TrueAsync(
            async () =>
            {
                var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");
                warning = config!["clusters"]![0]!["warnings"]!.AsArray().FirstOrDefault(w => (string)w!["kind"]! == "EnvoyFilter" && (string)w["name"]! == "nowhere");
                return warning is not null;
            },
            TimeSpan.FromSeconds(20),
            "the EnvoyFilter's warning is listed");
        Assert.Equal("spec.configPatches[0]", (string)warning!["field"]!);
        Assert.Contains("matched nothing", (string)warning["message"]!, StringComparison.Ordinal);
    }
    [Fact]
    public async Task AnEnvoyFilterSelectingTheIngressGateway_PatchesItsListenersRoutesAndClusters_AndListsWhatMatchedNothing()
    {
        var files = Mesh();
        files["gateway.yaml"] = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: shop-gateway, namespace: shop}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: [shop.example]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop-edge, namespace: shop}
            spec:
              hosts: [shop.example]
              gateways: [shop-gateway]
              http:
              - route: [{destination: {host: cart.shop.svc.cluster.local}}]
            """;
        files["gateway-filter.yaml"] = """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: ingress-lua, namespace: istio-system}
            spec:
              workloadSelector:
                labels: {istio: ingressgateway}
              configPatches:
              - applyTo: HTTP_FILTER
                match:
                  context: GATEWAY
                  listener:
                    filterChain:
                      filter:
                        name: envoy.filters.network.http_connection_manager
                        subFilter: {name: envoy.filters.http.router}
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.lua
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                      inlineCode: "function envoy_on_request(h) h:headers():add('x-edge', 'yes') end"
              - applyTo: CLUSTER
                match: {context: GATEWAY}
                patch:
                  operation: MERGE
                  value: {connect_timeout: 2s}
              - applyTo: CLUSTER
                match:
                  context: GATEWAY
                  cluster: {service: nowhere.example}
                patch:
                  operation: MERGE
                  value: {connect_timeout: 3s}
            ---
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: sidecars-only, namespace: istio-system}
            spec:
              configPatches:
              - applyTo: HTTP_FILTER
                match:
                  context: SIDECAR_OUTBOUND
                  listener:
                    filterChain:
                      filter:
                        name: envoy.filters.network.http_connection_manager
                        subFilter: {name: envoy.filters.http.router}
                patch:
                  operation: INSERT_BEFORE
                  value:
                    name: envoy.filters.http.local_ratelimit
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                      stat_prefix: sidecar
            """;
        await using var server = await MeshServer.StartAsync(files);
        await using var ingress = AdsTestClient.Connect(server.XdsPort, "router~127.1.0.20~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata());
        await using var egress = AdsTestClient.Connect(server.XdsPort, "router~127.1.0.21~istio-egressgateway-1.istio-system~istio-system.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata("egressgateway"));

        // The ingress gateway's listener gets the Lua filter (and not the sidecars' filter); the egress gateway, selected by nothing, keeps its own.
        var listener = (await ReceiveAsync<Listener>(ingress, TypeUrls.Listener, l => l.Name))["0.0.0.0_8080"];
        Assert.Equal(["envoy.lua", "envoy.filters.http.router"], HttpFilters(listener).TakeLast(2));
        Assert.DoesNotContain("envoy.filters.http.local_ratelimit", HttpFilters(listener));
        await egress.SendAsync(TypeUrls.Listener);
        Assert.All(AdsTestClient.Unpack<Listener>(await egress.ReceiveTypeAsync(TypeUrls.Listener)), l => Assert.DoesNotContain("envoy.lua", HttpFilters(l)));

        // The CLUSTER patch applies to the clusters of the gateway it selects: its stream is served from the
        // scope of its namespace's gateways that this EnvoyFilter patches; the egress gateway's clusters are not.
        var clusters = await ReceiveAsync<Cluster>(ingress, TypeUrls.Cluster, c => c.Name);
        Assert.Equal(TimeSpan.FromSeconds(2), clusters[CartCluster].ConnectTimeout.ToTimeSpan());
        var egressClusters = await ReceiveAsync<Cluster>(egress, TypeUrls.Cluster, c => c.Name);
        Assert.NotEqual(TimeSpan.FromSeconds(2), egressClusters[CartCluster].ConnectTimeout.ToTimeSpan());
        Assert.Equal(clusters.Keys.Order(), egressClusters.Keys.Order());

        // A CLUSTER patch that matches no cluster of the gateway is listed on its EnvoyFilter.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        JsonNode? warning = null;
        await Eventually.TrueAsync(
            async () =>
            {
                var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");
                warning = config!["clusters"]![0]!["warnings"]!.AsArray().FirstOrDefault(w => (string)w!["kind"]! == "EnvoyFilter" && (string)w["name"]! == "ingress-lua");
                return warning is not null;
            },
            TimeSpan.FromSeconds(20),
            "the gateway's unapplied CLUSTER patch is listed");
        Assert.Equal("spec.configPatches[2]", (string)warning!["field"]!);
        Assert.Contains("matched nothing in this router proxy's configuration", (string)warning["message"]!, StringComparison.Ordinal);

        // Removed, the patch is taken back from the gateway's open stream.
        await server.WriteConfigAsync("gateway-filter.yaml", string.Empty);
        await Eventually.TrueAsync(
            async () =>
            {
                var update = await ingress.ReceiveTypeAsync(TypeUrls.Listener);
                await ingress.AckAsync(update);
                return !HttpFilters(AdsTestClient.Unpack<Listener>(update).Single(l => l.Name == "0.0.0.0_8080")).Contains("envoy.lua");
            },
            TimeSpan.FromSeconds(20),
            "the gateway's Lua filter is gone");
    }
    [Fact]
    public async Task AWorkloadSelectedByFortyLongNamedEnvoyFilters_TakesEveryPatch_InAScopeWithABoundedName()
    {
        var files = Mesh();
        files["many.yaml"] = MeshYaml.Documents(Enumerable.Range(0, 40).Select(i => $$$"""
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: an-envoyfilter-with-a-rather-long-name-{{{i:D3}}}, namespace: shop}
            spec:
              workloadSelector:
                labels: {app: web}
              configPatches:
              - applyTo: LISTENER
                match: {context: SIDECAR_OUTBOUND}
                patch:
                  operation: ADD
                  value:
                    name: extra-{{{i}}}
                    address:
                      socket_address: {address: 127.0.0.1, port_value: {{{20000 + i}}} }
            """).ToArray());
        await using var server = await MeshServer.StartAsync(files);
        await using var web = Connect(server, "web-1", "shop", "127.1.1.2");
        await using var cart = Connect(server, "cart-1", "shop", "127.1.1.1");

        var webListeners = await ReceiveAsync<Listener>(web, TypeUrls.Listener, l => l.Name);
        Assert.Equal(40, webListeners.Keys.Count(n => n.StartsWith("extra-", StringComparison.Ordinal)));
        Assert.DoesNotContain((await ReceiveAsync<Listener>(cart, TypeUrls.Listener, l => l.Name)).Keys, n => n.StartsWith("extra-", StringComparison.Ordinal));
        var scope = server.Streams.Streams.Single(s => s.NodeId.Contains("web-1", StringComparison.Ordinal)).Scope;
        Assert.True(scope.Length < 200, scope);
        Assert.Contains("/~/" + ScopeNames.FilterDigestMark, scope, StringComparison.Ordinal);
    }
    [Fact]
    public async Task AGatewaysVirtualService_RoutesItOnlyWhenExportedToTheGatewaysNamespace()
    {
        var files = Mesh();
        files["gateway.yaml"] = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: shop-gateway, namespace: shop}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*.example"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: public-edge, namespace: shop}
            spec:
              hosts: [shop.example]
              gateways: [shop-gateway]
              http:
              - route: [{destination: {host: cart.shop.svc.cluster.local}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: private-edge, namespace: shop}
            spec:
              hosts: [private.example]
              gateways: [shop-gateway]
              exportTo: ["."]
              http:
              - route: [{destination: {host: web.shop.svc.cluster.local}}]
            """;
        await using var server = await MeshServer.StartAsync(files);
        await using var ingress = AdsTestClient.Connect(server.XdsPort, "router~127.1.0.20~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local", metadata: SidecarServingTests.GatewayMetadata());

        await ingress.SendAsync(TypeUrls.RouteConfiguration, ["http.8080"]);
        var routes = AdsTestClient.Unpack<Envoy.Config.Route.V3.RouteConfiguration>(await ingress.ReceiveTypeAsync(TypeUrls.RouteConfiguration)).Single();
        var domains = routes.VirtualHosts.SelectMany(v => v.Domains).ToList();
        Assert.Contains(domains, d => d.StartsWith("shop.example", StringComparison.Ordinal));
        Assert.DoesNotContain(domains, d => d.StartsWith("private.example", StringComparison.Ordinal));
    }
}
