using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// Gateway servers that terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL), read through
/// the real parser and index. The expected <c>DownstreamTlsContext</c>s are the cases of Istio's
/// <c>TestBuildGatewayListenerTlsContext</c> (<c>pilot/pkg/networking/core/gateway_test.go</c>),
/// written here as JSON, with two differences on purpose: <c>default</c>/<c>ROOTCA</c> come over
/// ADS (Istio's come from the agent's <c>sds-grpc</c> cluster), and certificate files are read by
/// Envoy itself (Istio's agent serves them as <c>file-cert:</c>/<c>file-root:</c> SDS names). The
/// chains follow Istio's gateway builder: one per terminating server with its hosts as SNI, its own
/// RDS <c>https.&lt;port&gt;.&lt;port name&gt;.&lt;gateway&gt;.&lt;namespace&gt;</c>. Every listener passes
/// Envoy's validate rules.
/// </summary>
public sealed class GatewayTlsTranslatorTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private static readonly JsonParser s_json = new(JsonParser.Settings.Default);
    private static readonly Dictionary<string, string> s_ingress = new() { ["istio"] = "ingressgateway" };

    private const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: productpage, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: mongodb, namespace: bookinfo}
        spec:
          ports: [{name: tcp-mongo, port: 27017}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: bookinfo}
        spec:
          hosts: ["*.bookinfo.example"]
          gateways: [bookinfo-gateway]
          http:
          - route: [{destination: {host: productpage, port: {number: 9080}}}]
          tcp:
          - route: [{destination: {host: mongodb, port: {number: 27017}}}]
        """;

    [Fact]
    public async Task SimpleWithACredentialName_IsIstiosContext_OnAnSniChain_WithTheServersOwnRoutes()
    {
        var resources = Build(Gateway("""
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [bookinfo/www.bookinfo.example, api.bookinfo.example]
              tls: {mode: SIMPLE, credentialName: bookinfo-cert}
            """));

        Assert.Equal(
            [(TypeUrls.Listener, "0.0.0.0_443"), (TypeUrls.RouteConfiguration, "https.443.https.bookinfo-gateway.bookinfo")],
            resources.Select(r => (r.TypeUrl, r.Name)).Order());
        var listener = Listener.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Listener).Payload);
        Assert.Equal(L4RouteTranslator.TlsInspectorName, Assert.Single(listener.ListenerFilters).Name);
        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal(["api.bookinfo.example", "www.bookinfo.example"], chain.FilterChainMatch.ServerNames);
        Assert.Equal(MtlsTranslator.TlsTransportSocketName, chain.TransportSocket.Name);
        Assert.Equal(s_json.Parse<DownstreamTlsContext>("""
            {"common_tls_context": {
               "alpn_protocols": ["h2", "http/1.1"],
               "tls_certificate_sds_secret_configs": [{"name": "kubernetes://bookinfo-cert", "sds_config": {"ads": {}, "resource_api_version": "V3"}}]},
             "require_client_certificate": false}
            """), chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>());
        var manager = chain.Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal("https.443.https.bookinfo-gateway.bookinfo", manager.Rds.RouteConfigName);
        Assert.True(manager.UseRemoteAddress);

        var routes = RouteConfiguration.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.RouteConfiguration).Payload);
        Assert.Equal(["api.bookinfo.example:443", "www.bookinfo.example:443"], routes.VirtualHosts.SelectMany(v => v.Domains.Select(d => $"{d}:443")).Order());
        Assert.Equal("outbound|9080||productpage.bookinfo.svc.cluster.local", routes.VirtualHosts[0].Routes.Single().Route_.Cluster);
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public async Task MutualWithACredentialName_ChecksClientsAgainstNameCacert_AndTheSubjectAltNames()
    {
        var chain = SingleChain(Gateway("""
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [httpbin.example.com, bookinfo.example.com]
              tls: {mode: MUTUAL, credentialName: ingress-sds-resource-name, subjectAltNames: [subject.name.a.com, subject.name.b.com]}
            """), out var listener);

        Assert.Equal(s_json.Parse<DownstreamTlsContext>("""
            {"common_tls_context": {
               "alpn_protocols": ["h2", "http/1.1"],
               "tls_certificate_sds_secret_configs": [{"name": "kubernetes://ingress-sds-resource-name", "sds_config": {"ads": {}, "resource_api_version": "V3"}}],
               "combined_validation_context": {
                 "default_validation_context": {"match_subject_alt_names": [{"exact": "subject.name.a.com"}, {"exact": "subject.name.b.com"}]},
                 "validation_context_sds_secret_config": {"name": "kubernetes://ingress-sds-resource-name-cacert", "sds_config": {"ads": {}, "resource_api_version": "V3"}}}},
             "require_client_certificate": true}
            """), chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>());
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public async Task OptionalMutual_ValidatesWithoutRequiring_AndACaCertCredentialNameNamesTheCa_WithSpkiPins()
    {
        var chain = SingleChain(Gateway("""
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: ["*"]
              tls: {mode: OPTIONAL_MUTUAL, credentialName: server, caCertCredentialName: client-roots, verifyCertificateSpki: ["LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="]}
            """), out var listener);

        // A '*' host matches every SNI: the chain has no match at all.
        Assert.Null(chain.FilterChainMatch);
        Assert.Equal(s_json.Parse<DownstreamTlsContext>("""
            {"common_tls_context": {
               "alpn_protocols": ["h2", "http/1.1"],
               "tls_certificate_sds_secret_configs": [{"name": "kubernetes://server", "sds_config": {"ads": {}, "resource_api_version": "V3"}}],
               "combined_validation_context": {
                 "default_validation_context": {"verify_certificate_spki": ["LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="]},
                 "validation_context_sds_secret_config": {"name": "kubernetes://client-roots", "sds_config": {"ads": {}, "resource_api_version": "V3"}}}},
             "require_client_certificate": false}
            """), chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>());
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public async Task IstioMutual_TakesTheGatewaysWorkloadCertificate_AndRequiresAMeshClient()
    {
        var chain = SingleChain(Gateway("""
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [httpbin.example.com]
              tls: {mode: ISTIO_MUTUAL}
            """), out var listener);

        Assert.Equal(s_json.Parse<DownstreamTlsContext>("""
            {"common_tls_context": {
               "alpn_protocols": ["h2", "http/1.1"],
               "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}}],
               "combined_validation_context": {
                 "default_validation_context": {},
                 "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}}}},
             "require_client_certificate": true}
            """), chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>());
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public async Task ATlsServerThatTerminates_ProxiesTcp_AndInIstioMutualSpeaksIstiosAlpn()
    {
        var resources = Build(Gateway("""
            - port: {number: 27017, name: mongo-tls, protocol: TLS}
              hosts: [db.bookinfo.example]
              tls: {mode: ISTIO_MUTUAL}
            - port: {number: 27018, name: mongo-simple, protocol: TLS}
              hosts: [db.bookinfo.example]
              tls: {mode: SIMPLE, credentialName: db-cert}
            """));

        // No RDS for TCP; the first TCP route of the bound VirtualService.
        Assert.All(resources, r => Assert.Equal(TypeUrls.Listener, r.TypeUrl));
        var listeners = resources.ToDictionary(r => r.Name, r => Listener.Parser.ParseFrom(r.Payload));
        var mutual = listeners["0.0.0.0_27017"].FilterChains.Single();
        Assert.Equal("outbound|27017||mongodb.bookinfo.svc.cluster.local", mutual.Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);
        Assert.Equal(["istio-peer-exchange", "istio"], mutual.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>().CommonTlsContext.AlpnProtocols);
        var simple = listeners["0.0.0.0_27018"].FilterChains.Single();
        Assert.Equal(["h2", "http/1.1"], simple.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>().CommonTlsContext.AlpnProtocols);
        foreach (var listener in listeners.Values)
        {
            Assert.Empty(await validation.ValidateAsync(listener));
        }
    }

    [Fact]
    public async Task Files_AreReadByEnvoy_WithTheServersVersionsAndCipherSuites()
    {
        var chain = SingleChain(Gateway("""
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [httpbin.example.com]
              tls:
                mode: MUTUAL
                serverCertificate: /etc/certs/server.pem
                privateKey: /etc/certs/key.pem
                caCertificates: /etc/certs/ca.pem
                minProtocolVersion: TLSV1_2
                maxProtocolVersion: TLSV1_3
                cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256]
            """), out var listener);

        Assert.Equal(s_json.Parse<DownstreamTlsContext>("""
            {"common_tls_context": {
               "tls_params": {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3", "cipher_suites": ["ECDHE-ECDSA-AES128-GCM-SHA256"]},
               "alpn_protocols": ["h2", "http/1.1"],
               "tls_certificates": [{"certificate_chain": {"filename": "/etc/certs/server.pem"}, "private_key": {"filename": "/etc/certs/key.pem"}}],
               "validation_context": {"trusted_ca": {"filename": "/etc/certs/ca.pem"}}},
             "require_client_certificate": true}
            """), chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>());
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public async Task ServersOnOnePort_EachTerminatingOneHasItsChainAndRoutes_ADuplicateHostIsLeftOut_PassthroughSharesThePort()
    {
        var resources = Build(Gateway("""
            - port: {number: 443, name: https-www, protocol: HTTPS}
              hosts: [www.bookinfo.example]
              tls: {mode: SIMPLE, credentialName: www-cert}
            - port: {number: 443, name: https-api, protocol: HTTPS}
              hosts: [api.bookinfo.example]
              tls: {mode: MUTUAL, credentialName: api-cert}
            - port: {number: 443, name: https-dup, protocol: HTTPS}
              hosts: [api.bookinfo.example, other.bookinfo.example]
              tls: {mode: SIMPLE, credentialName: dup-cert}
            - port: {number: 443, name: tls-pass, protocol: TLS}
              hosts: ["*.bookinfo.example"]
              tls: {mode: PASSTHROUGH}
            """), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: passthrough, namespace: bookinfo}
            spec:
              hosts: ["*.bookinfo.example"]
              gateways: [bookinfo-gateway]
              tls:
              - match: [{sniHosts: [raw.bookinfo.example, www.bookinfo.example]}]
                route: [{destination: {host: productpage, port: {number: 9080}}}]
            """);

        Assert.Equal(
            ["https.443.https-api.bookinfo-gateway.bookinfo", "https.443.https-www.bookinfo-gateway.bookinfo"],
            resources.Where(r => r.TypeUrl == TypeUrls.RouteConfiguration).Select(r => r.Name).Order());
        var listener = Listener.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Listener).Payload);

        // Terminating chains first; the passthrough chain keeps only the SNI host no terminating server took.
        Assert.Equal(
            ["www.bookinfo.example tls", "api.bookinfo.example tls", "raw.bookinfo.example raw"],
            listener.FilterChains.Select(c => $"{string.Join(',', c.FilterChainMatch.ServerNames)} {(c.TransportSocket is null ? "raw" : "tls")}"));
        Assert.Empty(await validation.ValidateAsync(listener));
    }

    private static FilterChain SingleChain(string gateway, out Listener listener)
    {
        listener = Listener.Parser.ParseFrom(Build(gateway).Single(r => r.TypeUrl == TypeUrls.Listener).Payload);
        return Assert.Single(listener.FilterChains);
    }

    private static string Gateway(string servers) => $"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {"{"}name: bookinfo-gateway, namespace: bookinfo{"}"}
        spec:
          selector: {"{"}istio: ingressgateway{"}"}
          servers:
        {string.Join('\n', servers.Split('\n').Select(l => "  " + l))}
        """;

    private static IReadOnlyList<XdsResource> Build(params string[] yaml)
    {
        var documents = KubernetesObjectParser.Parse("gateway.yaml", string.Join("\n---\n", [Services, .. yaml])).Documents;
        Assert.All(documents, d => Assert.Null(d.Rejection));
        var index = new ClusterIndex();
        index.Replace(documents.Select(d => d.Value!));
        return GatewayTranslator.Build(index.GatewayInputsFor(s_ingress), s_ingress);
    }
}
