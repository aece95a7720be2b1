using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// The TLS a DestinationRule and auto mutual TLS give a cluster, and a proxyless server's, in the
/// shapes Istio's <c>cluster_tls.go</c> and grpcgen write (fields as in the notes taken from
/// them), each passing Envoy's own validate rules.
/// </summary>
public sealed class MtlsTranslatorTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private const string Cluster = "outbound|9080|v1|reviews.bookinfo.svc.cluster.local";

    [Fact]
    public async Task AutoMtls_IsIstioMutualForEndpointsInTheMesh_AndPlaintextForTheOthers_OnEnvoyOnly()
    {
        var envoy = ClusterTranslator.BuildOutbound(Cluster, null, ClusterShape.Envoy, autoMtls: true);

        Assert.Null(envoy.TransportSocket);
        Assert.Equal(["tlsMode-istio", "tlsMode-disabled"], envoy.TransportSocketMatches.Select(m => m.Name));
        Assert.Equal("istio", envoy.TransportSocketMatches[0].Match.Fields["tlsMode"].StringValue);
        Assert.Empty(envoy.TransportSocketMatches[1].Match.Fields);
        Assert.Equal("envoy.transport_sockets.raw_buffer", envoy.TransportSocketMatches[1].TransportSocket.Name);
        AssertIstioMutual(envoy.TransportSocketMatches[0].TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>(), "outbound_.9080_.v1_.reviews.bookinfo.svc.cluster.local", []);
        Assert.Empty(await validation.ValidateAsync(envoy));

        // gRPC refuses transport_socket_matches: a proxyless client gets none; nor a cluster without mesh endpoints.
        Assert.Empty(ClusterTranslator.BuildOutbound(Cluster, null, ClusterShape.Proxyless, autoMtls: true).TransportSocketMatches);
        Assert.Empty(ClusterTranslator.BuildOutbound(Cluster, null, ClusterShape.Envoy, autoMtls: false).TransportSocketMatches);
    }

    [Fact]
    public async Task IstioMutual_FromADestinationRule_IsTheClustersSocket_WithItsSniAndNames_AndFromTheCertificateProviderForGrpc()
    {
        var policy = Policy(new ClientTlsSpec("ISTIO_MUTUAL", null, ["spiffe://cluster.local/ns/bookinfo/sa/reviews"], null, null, null, null, false));

        var envoy = ClusterTranslator.BuildOutbound(Cluster, policy, ClusterShape.Envoy, autoMtls: true);
        Assert.Empty(envoy.TransportSocketMatches);
        AssertIstioMutual(envoy.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>(), "outbound_.9080_.v1_.reviews.bookinfo.svc.cluster.local", ["spiffe://cluster.local/ns/bookinfo/sa/reviews"]);
        Assert.Empty(await validation.ValidateAsync(envoy));
        var named = ClusterTranslator.BuildOutbound(Cluster, Policy(policy.Tls! with { Sni = "reviews.example" }), ClusterShape.Envoy);
        Assert.Equal("reviews.example", named.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>().Sni);

        // Istio's grpcgen: the bootstrap's certificate provider "default" for the certificate and ROOTCA; no SNI, no ALPN.
        var grpc = ClusterTranslator.BuildOutbound(Cluster, policy, ClusterShape.Proxyless);
        Assert.Equal("envoy.transport_sockets.tls", grpc.TransportSocket.Name);
        var common = grpc.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>().CommonTlsContext;
        Assert.Equal(("default", "default"), (common.TlsCertificateProviderInstance.InstanceName, common.TlsCertificateProviderInstance.CertificateName));
        var roots = common.ValidationContext;
        Assert.Equal(("default", "ROOTCA"), (roots.CaCertificateProviderInstance.InstanceName, roots.CaCertificateProviderInstance.CertificateName));
        Assert.Equal("spiffe://cluster.local/ns/bookinfo/sa/reviews", Assert.Single(roots.MatchSubjectAltNames).Exact);
        Assert.Empty(common.AlpnProtocols);
        Assert.Empty(await validation.ValidateAsync(grpc));
    }

    [Fact]
    public async Task SimpleAndMutual_UseTheFilesOnTheProxy_DisableAndInsecureLeaveOutWhatTheySay()
    {
        var mutual = ClusterTranslator.BuildOutbound(Cluster, Policy(new ClientTlsSpec("MUTUAL", "api.example.com", ["api.example.com"], "/etc/certs/ca.pem", "/etc/certs/c.pem", "/etc/certs/k.pem", "/etc/certs/crl.pem", false)), ClusterShape.Envoy, autoMtls: true);
        var context = mutual.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal("api.example.com", context.Sni);
        var certificate = Assert.Single(context.CommonTlsContext.TlsCertificates);
        Assert.Equal(("/etc/certs/c.pem", "/etc/certs/k.pem"), (certificate.CertificateChain.Filename, certificate.PrivateKey.Filename));
        var validationContext = context.CommonTlsContext.ValidationContext;
        Assert.Equal(("/etc/certs/ca.pem", "/etc/certs/crl.pem", "api.example.com"), (validationContext.TrustedCa.Filename, validationContext.Crl.Filename, Assert.Single(validationContext.MatchSubjectAltNames).Exact));
        Assert.Empty(await validation.ValidateAsync(mutual));

        var simple = ClusterTranslator.BuildOutbound(Cluster, Policy(new ClientTlsSpec("SIMPLE", null, [], null, null, null, null, false)), ClusterShape.Envoy);
        var simpleContext = simple.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal(MtlsTranslator.SystemRootCertificates, simpleContext.CommonTlsContext.ValidationContext.TrustedCa.Filename);
        Assert.Empty(simpleContext.CommonTlsContext.TlsCertificates);
        Assert.Empty(await validation.ValidateAsync(simple));

        var insecure = ClusterTranslator.BuildOutbound(Cluster, Policy(new ClientTlsSpec("SIMPLE", null, [], null, null, null, null, true)), ClusterShape.Envoy);
        Assert.Null(insecure.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>().CommonTlsContext.ValidationContext);

        var disabled = ClusterTranslator.BuildOutbound(Cluster, Policy(new ClientTlsSpec("DISABLE", null, [], null, null, null, null, false)), ClusterShape.Envoy, autoMtls: true);
        Assert.Null(disabled.TransportSocket);
        Assert.Empty(disabled.TransportSocketMatches);
    }

    [Theory]
    [InlineData(MtlsMode.Strict, true)]
    [InlineData(MtlsMode.Permissive, true)]
    [InlineData(MtlsMode.Disable, false)]
    public async Task AProxylessServer_TakesMutualTlsFromItsCertificateProvider_WhenItsModeAsksForIt(MtlsMode mode, bool tls)
    {
        var listener = WorkloadTranslator.ServerListener("xds.istio.io/grpc/lds/inbound/0.0.0.0:8080", "0.0.0.0", 8080, mode);

        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal(tls, chain.TransportSocket is not null);
        if (tls)
        {
            var context = chain.TransportSocket!.TypedConfig.Unpack<DownstreamTlsContext>();
            Assert.True(context.RequireClientCertificate);
            Assert.Equal("default", context.CommonTlsContext.TlsCertificateProviderInstance.InstanceName);
            Assert.Equal("ROOTCA", context.CommonTlsContext.ValidationContext.CaCertificateProviderInstance.CertificateName);
        }

        Assert.Empty(await validation.ValidateAsync(listener));
    }

    [Fact]
    public void DefaultSni_IsIstiosDnsSrvSubsetKey()
    {
        Assert.Equal("outbound_.9080_._.reviews.bookinfo.svc.cluster.local", MtlsTranslator.DefaultSni("outbound|9080||reviews.bookinfo.svc.cluster.local"));
        Assert.Equal("outbound_.9080_.v1_.reviews.bookinfo.svc.cluster.local", MtlsTranslator.DefaultSni(Cluster));
    }

    private static TrafficPolicySpec Policy(ClientTlsSpec tls) => new(null, null, null, null, tls.Mode, [], tls);

    private static void AssertIstioMutual(UpstreamTlsContext context, string sni, string[] names)
    {
        Assert.Equal(sni, context.Sni);
        var common = context.CommonTlsContext;
        Assert.Equal(["istio"], common.AlpnProtocols);
        Assert.Equal("default", Assert.Single(common.TlsCertificateSdsSecretConfigs).Name);
        Assert.NotNull(common.TlsCertificateSdsSecretConfigs[0].SdsConfig.Ads);
        Assert.Equal("ROOTCA", common.CombinedValidationContext.ValidationContextSdsSecretConfig.Name);
        Assert.Equal(names, common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.Select(m => m.Exact));
        Assert.Equal(TlsParameters.Types.TlsProtocol.Tlsv12, common.TlsParams.TlsMinimumProtocolVersion);
    }
}
