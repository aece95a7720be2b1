using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// The TLS pieces of mesh mutual TLS, in Istio's shapes (pilot/pkg/security/authn/utils,
/// pilot/pkg/networking/core/cluster_tls.go): the sidecar's inbound <c>DownstreamTlsContext</c>
/// and the <c>UpstreamTlsContext</c> of ISTIO_MUTUAL, both with the workload certificate
/// <c>default</c> and the trust bundle <c>ROOTCA</c> from SDS. Where Istio's proxies ask their
/// local agent (<c>sds-grpc</c>), these proxies ask the control plane over ADS, on the TLS xDS
/// port, which serves each proxy its own secrets. Istio's metadata exchange is not served, so
/// the ALPN lists are those Istio uses with it off. Pure.
/// </summary>
public static class MtlsTranslator
{
    /// <summary>The TLS transport socket's name.</summary>
    public const string TlsTransportSocketName = "envoy.transport_sockets.tls";

    /// <summary>The workload certificate's SDS name.</summary>
    public const string DefaultSecret = "default";

    /// <summary>The trust bundle's SDS name.</summary>
    public const string RootSecret = "ROOTCA";

    /// <summary>The TLS transport protocol a TLS inspector reports.</summary>
    public const string TlsTransportProtocol = "tls";

    /// <summary>Every ALPN Istio's clients send over mesh mutual TLS (an inbound PERMISSIVE chain's match).</summary>
    public static IReadOnlyList<string> AllIstioMtlsAlpns { get; } = ["istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"];

    /// <summary>The ALPNs of HTTP over mesh mutual TLS (an inbound chain of a port of undeclared protocol).</summary>
    public static IReadOnlyList<string> MtlsHttpAlpns { get; } = ["istio-http/1.0", "istio-http/1.1", "istio-h2"];

    /// <summary>The ALPNs of TCP over mesh mutual TLS.</summary>
    public static IReadOnlyList<string> MtlsTcpAlpns { get; } = ["istio-peer-exchange", "istio"];

    /// <summary>Istio's default inbound cipher suites.</summary>
    public static IReadOnlyList<string> CipherSuites { get; } =
    [
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256",
    ];

    /// <summary>A secret the proxy asks the control plane for over ADS, waiting for it as long as it takes (Istio's <c>initial_fetch_timeout: 0s</c>).</summary>
    public static SdsSecretConfig Sds(string name) => new()
    {
        Name = name,
        SdsConfig = new ConfigSource
        {
            Ads = new AggregatedConfigSource(),
            InitialFetchTimeout = new Duration(),
            ResourceApiVersion = ApiVersion.V3,
        },
    };

    /// <summary>
    /// The transport socket of a sidecar's inbound mutual TLS chain: the workload certificate,
    /// a client certificate required and checked against ROOTCA and the trust domain's SPIFFE
    /// prefix, TLS 1.2 to 1.3, Istio's cipher suites; ALPN <c>h2</c>, <c>http/1.1</c>.
    /// </summary>
    public static TransportSocket InboundTls(string trustDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        var common = new CommonTlsContext
        {
            TlsParams = new TlsParameters
            {
                TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12,
                TlsMaximumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv13,
            },
            CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext(),
                ValidationContextSdsSecretConfig = Sds(RootSecret),
            },
        };
        common.TlsParams.CipherSuites.AddRange(CipherSuites);
        common.AlpnProtocols.AddRange(["h2", "http/1.1"]);
        common.TlsCertificateSdsSecretConfigs.Add(Sds(DefaultSecret));
        common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.Add(new StringMatcher { Prefix = $"spiffe://{trustDomain}/" });
        var context = new DownstreamTlsContext { CommonTlsContext = common, RequireClientCertificate = true };
        return new TransportSocket { Name = TlsTransportSocketName, TypedConfig = Any.Pack(context) };
    }

    /// <summary>
    /// ISTIO_MUTUAL to an upstream: the workload certificate, the peer checked against ROOTCA and,
    /// when <paramref name="subjectAltNames"/> names any, against those identities; SNI
    /// <paramref name="sni"/>; ALPN <c>istio</c> (and <c>h2</c> for an HTTP/2 cluster).
    /// </summary>
    public static TransportSocket IstioMutual(string sni, IEnumerable<string> subjectAltNames, bool http2)
    {
        ArgumentNullException.ThrowIfNull(subjectAltNames);
        var common = new CommonTlsContext
        {
            TlsParams = new TlsParameters
            {
                TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12,
                TlsMaximumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv13,
            },
            CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext(),
                ValidationContextSdsSecretConfig = Sds(RootSecret),
            },
        };
        common.AlpnProtocols.Add("istio");
        if (http2)
        {
            common.AlpnProtocols.Add("h2");
        }

        common.TlsCertificateSdsSecretConfigs.Add(Sds(DefaultSecret));
        foreach (var san in subjectAltNames)
        {
            common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.Add(new StringMatcher { Exact = san });
        }

        var context = new UpstreamTlsContext { CommonTlsContext = common, Sni = sni };
        return new TransportSocket { Name = TlsTransportSocketName, TypedConfig = Any.Pack(context) };
    }
}
