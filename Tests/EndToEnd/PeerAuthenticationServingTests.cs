using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// PeerAuthentication on a real control plane, checked with the sidecar simulator over what the
/// workload's sidecar is served: STRICT refuses a plaintext call (no filter chain matches) and
/// takes mutual TLS with Istio's ALPN; a port-level PERMISSIVE takes both; a pod outside the mesh
/// (no <c>security.istio.io/tlsMode</c> label) stays plaintext under PERMISSIVE. The TLS context
/// is Istio's (pilot/pkg/security/authn/utils BuildInboundTLS) with the secrets over ADS, and
/// passes Envoy's own validate rules.
/// </summary>
public sealed class PeerAuthenticationServingTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private const string Node = "sidecar~127.3.0.1~api-1.secure~secure.svc.cluster.local";

    private const string Mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: secure}
        spec:
          clusterIP: 127.96.3.1
          ports:
          - {name: http, port: 8080}
          - {name: tcp-db, port: 9000}
          - {name: web, port: 7000}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: api-1
          namespace: secure
          labels: {app: api, security.istio.io/tlsMode: istio}
        spec: {serviceAccountName: api}
        status: {podIP: 127.3.0.1}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: api-1
          namespace: secure
          labels: {kubernetes.io/service-name: api}
        addressType: IPv4
        ports:
        - {name: http, port: 8080, protocol: TCP}
        - {name: tcp-db, port: 9000, protocol: TCP}
        - {name: web, port: 7000, protocol: TCP}
        endpoints:
        - addresses: ["127.3.0.1"]
          conditions: {ready: true}
          targetRef: {kind: Pod, namespace: secure, name: api-1}
        """;

    private const string MeshStrict = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec:
          mtls: {mode: STRICT}
        """;

    private const string Port9000Permissive = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: api, namespace: secure}
        spec:
          selector:
            matchLabels: {app: api}
          portLevelMtls:
            9000: {mode: PERMISSIVE}
        """;

    [Fact]
    public async Task Strict_RefusesPlaintext_AndTakesMutualTls_APortLevelPermissiveTakesBoth()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["mesh.yaml"] = Mesh, ["strict.yaml"] = MeshStrict });
        await using var client = AdsTestClient.Connect(server.XdsPort, Node, metadata: SidecarServingTests.SidecarMetadata("secure"));
        var sidecar = new Simulator(await AdsProxyConfig.FetchAsync(client));

        // HTTP port 8080: plaintext matches no chain; mutual TLS with Istio's HTTP ALPN reaches the workload.
        sidecar.Simulate(Call.Http("api:8080", "127.3.0.1", 8080).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
        sidecar.Simulate(MutualTls(8080, "istio-http/1.1")).ShouldReach("inbound|8080||");

        // The client must present a certificate of the mesh's trust domain.
        sidecar.Simulate(MutualTls(8080, "istio-http/1.1", identity: null)).ShouldFail(SimulationFailure.TlsHandshake);
        sidecar.Simulate(MutualTls(8080, "istio-http/1.1", identity: "spiffe://other.domain/ns/web/sa/frontend")).ShouldFail(SimulationFailure.TlsHandshake);

        // TCP port 9000 and the sniffed port 7000 likewise; and a port no Service names.
        sidecar.Simulate(Call.Tcp("127.3.0.1", 9000).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
        sidecar.Simulate(MutualTls(9000, "istio")).ShouldReach("inbound|9000||");
        sidecar.Simulate(Call.Http("api:7000", "127.3.0.1", 7000).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
        sidecar.Simulate(MutualTls(7000, "istio-http/1.1")).ShouldReach("inbound|7000||");
        sidecar.Simulate(Call.Tcp("127.3.0.1", 7777).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
        sidecar.Simulate(MutualTls(7777, "istio")).ShouldReach("InboundPassthroughCluster");

        // Every TLS chain terminates Istio's inbound context, and the listener passes Envoy's rules.
        var listener = sidecar.Config.Listeners.Single(l => l.Name == "virtualInbound");
        Assert.Contains(listener.ListenerFilters, f => f.Name == "envoy.filters.listener.tls_inspector");
        var tlsChains = listener.FilterChains.Where(c => c.FilterChainMatch?.TransportProtocol == "tls").ToList();
        Assert.All(tlsChains, c => AssertIstioInboundTls(c.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>()));
        Assert.DoesNotContain(listener.FilterChains, c => c.TransportSocket is null);
        Assert.Empty(await validation.ValidateAsync(listener));

        // A workload policy makes port 9000 PERMISSIVE: plaintext and mutual TLS both reach it.
        await server.WriteConfigAsync("api.yaml", Port9000Permissive);
        await Eventually.TrueAsync(
            async () => (await FetchAsync(server)).Simulate(Call.Tcp("127.3.0.1", 9000).Inbound()).Succeeded,
            TimeSpan.FromSeconds(30),
            "port 9000 takes plaintext");
        sidecar = await FetchAsync(server);
        sidecar.Simulate(Call.Tcp("127.3.0.1", 9000).Inbound()).ShouldReach("inbound|9000||");
        sidecar.Simulate(MutualTls(9000, "istio")).ShouldReach("inbound|9000||");
        sidecar.Simulate(Call.Http("api:8080", "127.3.0.1", 8080).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
    }

    [Fact]
    public async Task Permissive_ByDefault_TakesBothForAPodInTheMesh_AndOnlyPlaintextForOneOutsideIt()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["mesh.yaml"] = Mesh });
        await using var client = AdsTestClient.Connect(server.XdsPort, Node, metadata: SidecarServingTests.SidecarMetadata("secure"));
        var sidecar = new Simulator(await AdsProxyConfig.FetchAsync(client));

        sidecar.Simulate(Call.Http("api:8080", "127.3.0.1", 8080).Inbound()).ShouldReach("inbound|8080||");
        sidecar.Simulate(MutualTls(8080, "istio-http/1.1")).ShouldReach("inbound|8080||");
        sidecar.Simulate(Call.Http("api:7000", "127.3.0.1", 7000).Inbound()).ShouldReach("inbound|7000||");
        sidecar.Simulate(MutualTls(7000, "istio-http/1.1")).ShouldReach("inbound|7000||");
        Assert.Empty(await validation.ValidateAsync(sidecar.Config.Listeners.Single(l => l.Name == "virtualInbound")));

        // The same pod without the label: plaintext chains only, as before.
        await server.WriteConfigAsync("mesh.yaml", Mesh.Replace(", security.istio.io/tlsMode: istio", string.Empty, StringComparison.Ordinal));
        await Eventually.TrueAsync(
            async () => (await FetchAsync(server)).Config.Listeners.Single(l => l.Name == "virtualInbound").FilterChains.All(c => c.TransportSocket is null),
            TimeSpan.FromSeconds(30),
            "no TLS chain is left");
    }

    [Fact]
    public async Task AutoMtls_FromASidecarInTheMesh_ReachesAStrictWorkload_AndADestinationRuleDisablingTlsIsRefusedByIt()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["mesh.yaml"] = Mesh, ["strict.yaml"] = MeshStrict });
        var api = await FetchAsync(server);
        const string Cluster = "outbound|8080||api.secure.svc.cluster.local";

        // The client sidecar (another namespace) sends to api's cluster; its endpoint is in the mesh, so auto mutual TLS picks ISTIO_MUTUAL for it.
        var web = await FetchAsync(server, "sidecar~127.3.0.2~web-1.web~web.svc.cluster.local", "web");
        web.Simulate(Call.Http("api.secure:8080", "127.96.3.1", 8080)).ShouldReach(Cluster);
        var upstream = UpstreamFor(web.Config, Cluster, "127.3.0.1");
        Assert.NotNull(upstream);
        Assert.Equal("outbound_.8080_._.api.secure.svc.cluster.local", upstream!.Sni);

        // The client accepts only the identity of api's pods (their service account), as Istio's ServiceAccounts(host).
        Assert.Equal(["spiffe://cluster.local/ns/secure/sa/api"], upstream.CommonTlsContext.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.Select(m => m.Exact));

        // What the client opens is what api's STRICT inbound side takes.
        api.Simulate(Call.MutualTls(Client, "127.3.0.1", 8080, CallProtocol.Http1, [.. upstream.CommonTlsContext.AlpnProtocols]).Inbound()).ShouldReach("inbound|8080||");

        // A DestinationRule turning TLS off: the endpoint loses its mesh marker, the client sends plaintext, and STRICT refuses it.
        await server.WriteConfigAsync("dr.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api, namespace: secure}
            spec:
              host: api.secure.svc.cluster.local
              trafficPolicy:
                tls: {mode: DISABLE}
            """);
        await Eventually.TrueAsync(
            async () => UpstreamFor((await FetchAsync(server, "sidecar~127.3.0.2~web-1.web~web.svc.cluster.local", "web")).Config, Cluster, "127.3.0.1") is null,
            TimeSpan.FromSeconds(30),
            "the client sends plaintext");
        api.Simulate(Call.Http("api.secure:8080", "127.3.0.1", 8080).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
    }

    [Fact]
    public async Task AuthorizationPolicies_AllowAndDenyCallsByIdentityMethodPathAndPort_AsEnvoysRbacWouldDecide()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["mesh.yaml"] = Mesh,
            ["strict.yaml"] = MeshStrict,
            ["authz.yaml"] = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: frontend-reads, namespace: secure}
                spec:
                  selector:
                    matchLabels: {app: api}
                  rules:
                  - from:
                    - source: {principals: ["cluster.local/ns/web/sa/frontend"]}
                    to:
                    - operation: {methods: ["GET"], paths: ["/public/*"]}
                  - from:
                    - source: {namespaces: ["web"]}
                    to:
                    - operation: {ports: ["9000"]}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-secrets, namespace: secure}
                spec:
                  action: DENY
                  rules:
                  # The port keeps it off the TCP port: there the paths are left out (Istio makes a DENY broader).
                  - to:
                    - operation: {paths: ["/public/secret*"], ports: ["8080"]}
                """,
        });
        var api = await FetchAsync(server);
        Call Get(string path, string? identity = Client, string method = "GET") =>
            Call.MutualTls(identity, "127.3.0.1", 8080, CallProtocol.Http1, "istio").Inbound() with { Path = path, Method = method };

        api.Simulate(Get("/public/index.html")).ShouldReach("inbound|8080||");
        api.Simulate(Get("/public/index.html", method: "POST")).ShouldFail(SimulationFailure.Denied);
        api.Simulate(Get("/private")).ShouldFail(SimulationFailure.Denied);
        api.Simulate(Get("/public/index.html", "spiffe://cluster.local/ns/web/sa/other")).ShouldFail(SimulationFailure.Denied);
        api.Simulate(Get("/public/secret.txt")).ShouldFail(SimulationFailure.Denied);

        // TCP port 9000: the first rule names HTTP fields, so only the second (namespace web) applies there.
        api.Simulate(MutualTls(9000, "istio")).ShouldReach("inbound|9000||");
        api.Simulate(MutualTls(9000, "istio", "spiffe://cluster.local/ns/other/sa/x")).ShouldFail(SimulationFailure.Denied);
        Assert.Empty(await validation.ValidateAsync(api.Config.Listeners.Single(l => l.Name == "virtualInbound")));

        // Without the policies everything from the mesh is let in again.
        server.DeleteConfig("authz.yaml");
        await Eventually.TrueAsync(
            async () => (await FetchAsync(server)).Simulate(Get("/private")).Succeeded,
            TimeSpan.FromSeconds(30),
            "the policies are gone");
    }

    /// <summary>The TLS context cluster <paramref name="cluster"/> opens to <paramref name="address"/> with, as Envoy picks it (its socket, or the first transport_socket_match the endpoint's metadata satisfies); null: plaintext.</summary>
    private static UpstreamTlsContext? UpstreamFor(ProxyConfig config, string cluster, string address)
    {
        var definition = config.Clusters[cluster];
        var endpoint = config.Assignments[cluster].Endpoints.SelectMany(l => l.LbEndpoints).Single(e => e.Endpoint.Address.SocketAddress.Address == address);
        var socket = definition.TransportSocket;
        if (definition.TransportSocketMatches.Count > 0)
        {
            var metadata = endpoint.Metadata?.FilterMetadata.GetValueOrDefault("envoy.transport_socket_match")?.Fields;
            socket = definition.TransportSocketMatches.First(m => m.Match.Fields.All(f => metadata is not null && metadata.TryGetValue(f.Key, out var v) && v.Equals(f.Value))).TransportSocket;
        }

        return socket is null || !socket.TypedConfig.Is(UpstreamTlsContext.Descriptor) ? null : socket.TypedConfig.Unpack<UpstreamTlsContext>();
    }

    private const string Client = "spiffe://cluster.local/ns/web/sa/frontend";

    /// <summary>What the workload's sidecar is served now, on a stream of its own.</summary>
    private static async Task<Simulator> FetchAsync(MeshServer server, string node = Node, string ns = "secure")
    {
        await using var client = AdsTestClient.Connect(server.XdsPort, node, metadata: SidecarServingTests.SidecarMetadata(ns));
        return new Simulator(await AdsProxyConfig.FetchAsync(client));
    }

    private static Call MutualTls(int port, string alpn, string? identity = Client) =>
        Call.MutualTls(identity, "127.3.0.1", port, alpn == "istio" ? CallProtocol.Tcp : CallProtocol.Http1, alpn).Inbound();

    private static void AssertIstioInboundTls(DownstreamTlsContext context)
    {
        Assert.True(context.RequireClientCertificate);
        var common = context.CommonTlsContext;
        Assert.Equal(TlsParameters.Types.TlsProtocol.Tlsv12, common.TlsParams.TlsMinimumProtocolVersion);
        Assert.Equal(TlsParameters.Types.TlsProtocol.Tlsv13, common.TlsParams.TlsMaximumProtocolVersion);
        Assert.Equal(["h2", "http/1.1"], common.AlpnProtocols);
        var certificate = Assert.Single(common.TlsCertificateSdsSecretConfigs);
        Assert.Equal("default", certificate.Name);
        Assert.NotNull(certificate.SdsConfig.Ads);
        Assert.Equal("ROOTCA", common.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
        Assert.NotNull(common.CombinedValidationContext.ValidationContextSdsSecretConfig.SdsConfig.Ads);
        Assert.Equal("spiffe://cluster.local/", Assert.Single(common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames).Prefix);
    }
}
