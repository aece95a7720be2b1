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

    /// <summary>The file Envoy images keep the system's CA certificates in: what SIMPLE and MUTUAL check a server against when the rule names no CA.</summary>
    public const string SystemRootCertificates = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>The plaintext transport socket.</summary>
    public const string RawBufferName = "envoy.transport_sockets.raw_buffer";

    /// <summary>
    /// The transport socket of a sidecar's inbound mutual TLS chain: the workload certificate,
    /// a client certificate required and checked against ROOTCA and the trust domain's SPIFFE
    /// prefix, TLS 1.2 to 1.3, Istio's cipher suites; ALPN <c>h2</c>, <c>http/1.1</c>.
    /// </summary>
    public static TransportSocket InboundTls(string trustDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        var common = MeshCommon([new StringMatcher { Prefix = $"spiffe://{trustDomain}/" }]);
        common.TlsParams.CipherSuites.AddRange(CipherSuites);
        common.AlpnProtocols.AddRange(["h2", "http/1.1"]);
        return Socket(new DownstreamTlsContext { CommonTlsContext = common, RequireClientCertificate = true });
    }

    /// <summary>
    /// ISTIO_MUTUAL to an upstream: the workload certificate, the peer checked against ROOTCA and,
    /// when <paramref name="subjectAltNames"/> names any, against those identities; SNI
    /// <paramref name="sni"/>; ALPN <c>istio</c>.
    /// </summary>
    public static TransportSocket IstioMutual(string sni, IEnumerable<string> subjectAltNames)
    {
        ArgumentNullException.ThrowIfNull(subjectAltNames);
        var common = MeshCommon(subjectAltNames.Select(san => new StringMatcher { Exact = san }));
        common.AlpnProtocols.Add("istio");
        return Socket(new UpstreamTlsContext { CommonTlsContext = common, Sni = sni });
    }

    /// <summary>
    /// Istio's auto mutual TLS (<c>transport_socket_matches</c>, when no DestinationRule sets
    /// <c>tls</c>): ISTIO_MUTUAL to endpoints whose metadata says <c>tlsMode: istio</c> (pods in the
    /// mesh), plaintext to the others.
    /// </summary>
    public static IEnumerable<Envoy.Config.Cluster.V3.Cluster.Types.TransportSocketMatch> AutoMtls(string sni, IReadOnlyList<string>? identities = null)
    {
        var match = new Struct();
        match.Fields["tlsMode"] = Value.ForString("istio");
        yield return new() { Name = "tlsMode-istio", Match = match, TransportSocket = IstioMutual(sni, identities ?? []) };
        yield return new() { Name = "tlsMode-disabled", Match = new Struct(), TransportSocket = RawBuffer() };
    }

    /// <summary>The plaintext transport socket.</summary>
    public static TransportSocket RawBuffer() => new()
    {
        Name = RawBufferName,
        TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.RawBuffer.V3.RawBuffer()),
    };

    /// <summary>
    /// A DestinationRule's SIMPLE or MUTUAL TLS with files on the proxy (Istio's file-based
    /// <c>constructUpstreamTLS</c>, the files read by Envoy itself rather than through an agent's
    /// SDS): the client certificate and key (MUTUAL), the server checked against the CA file
    /// (else the system's), the subject alternative names and the revocation list, unless
    /// <c>insecureSkipVerify</c>; the rule's SNI.
    /// </summary>
    public static TransportSocket FileTls(Interfaces.Model.ClientTlsSpec tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var common = new CommonTlsContext { TlsParams = Versions() };
        if (tls.Mode == "MUTUAL")
        {
            common.TlsCertificates.Add(new TlsCertificate
            {
                CertificateChain = new DataSource { Filename = tls.ClientCertificate },
                PrivateKey = new DataSource { Filename = tls.PrivateKey },
            });
        }

        if (!tls.InsecureSkipVerify)
        {
            var validation = new CertificateValidationContext { TrustedCa = new DataSource { Filename = tls.CaCertificates ?? SystemRootCertificates } };
            validation.MatchSubjectAltNames.AddRange(tls.SubjectAltNames.Select(san => new StringMatcher { Exact = san }));
            if (tls.CaCrl is { } crl)
            {
                validation.Crl = new DataSource { Filename = crl };
            }

            common.ValidationContext = validation;
        }

        return Socket(new UpstreamTlsContext { CommonTlsContext = common, Sni = tls.Sni ?? string.Empty });
    }

    /// <summary>
    /// ISTIO_MUTUAL for a proxyless gRPC client (Istio's grpcgen <c>buildCommonTLSContext</c>): the
    /// certificate and the roots from the certificate provider instance <c>default</c> of its
    /// bootstrap (names <c>default</c> and <c>ROOTCA</c>), the peer checked against
    /// <paramref name="subjectAltNames"/> when any are given. No SNI, no ALPN.
    /// </summary>
    public static TransportSocket ProxylessUpstream(IEnumerable<string> subjectAltNames) =>
        Socket(new UpstreamTlsContext { CommonTlsContext = ProxylessCommon(subjectAltNames) });

    /// <summary>A proxyless gRPC server's mutual TLS (Istio's grpcgen STRICT chain): its certificate provider's certificate and roots, a client certificate required.</summary>
    public static TransportSocket ProxylessDownstream() =>
        Socket(new DownstreamTlsContext { CommonTlsContext = ProxylessCommon([]), RequireClientCertificate = true });

    /// <summary>
    /// The SDS config of a gateway credential (Istio's <c>ConstructSdsSecretConfigForCredential</c>):
    /// <c>kubernetes://NAME</c> over ADS, with Envoy's default initial fetch timeout.
    /// </summary>
    public static SdsSecretConfig CredentialSds(string credentialName)
    {
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        return new SdsSecretConfig
        {
            Name = credentialName.StartsWith(KubernetesSecretPrefix, StringComparison.Ordinal) ? credentialName : KubernetesSecretPrefix + credentialName,
            SdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
        };
    }

    /// <summary>The prefix of an SDS name that names a Kubernetes Secret.</summary>
    public const string KubernetesSecretPrefix = "kubernetes://";

    /// <summary>
    /// The <c>DownstreamTlsContext</c> of a gateway server that terminates TLS, as Istio's
    /// <c>BuildListenerTLSContext</c> writes it: ALPN <c>h2</c>, <c>http/1.1</c> (<c>istio-peer-exchange</c>, <c>istio</c> for a
    /// TCP server in ISTIO_MUTUAL); a client certificate required in MUTUAL and ISTIO_MUTUAL.
    /// ISTIO_MUTUAL: the gateway's workload certificate <c>default</c>, clients checked against
    /// <c>ROOTCA</c> and the subject alternative names. With <c>credentialName(s)</c>: the
    /// certificates <c>kubernetes://NAME</c> over ADS, and in MUTUAL and OPTIONAL_MUTUAL the CA
    /// <c>kubernetes://NAME-cacert</c> (or <c>caCertCredentialName</c>) beside the subject alternative
    /// names, SPKI and hash pins. With files: Envoy reads the certificate, key and CA itself. SIMPLE
    /// and the mutual modes take the server's protocol versions and cipher suites.
    /// </summary>
    public static TransportSocket GatewayTls(Interfaces.Model.GatewayTlsSpec tls, bool http)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var common = new CommonTlsContext();
        common.AlpnProtocols.AddRange(!http && tls.Mode == "ISTIO_MUTUAL" ? MtlsTcpAlpns : ["h2", "http/1.1"]);
        var requireClient = tls.Mode is "MUTUAL" or "ISTIO_MUTUAL";
        var validateClient = requireClient || tls.Mode == "OPTIONAL_MUTUAL";
        var names = tls.SubjectAltNames.Select(san => new StringMatcher { Exact = san }).ToList();
        if (tls.Mode == "ISTIO_MUTUAL")
        {
            common.TlsCertificateSdsSecretConfigs.Add(Sds(DefaultSecret));
            common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext { MatchSubjectAltNames = { names } },
                ValidationContextSdsSecretConfig = Sds(RootSecret),
            };
        }
        else if (tls.CredentialName is not null || tls.CredentialNames.Count > 0)
        {
            var credentials = tls.CredentialNames.Count > 0 ? tls.CredentialNames : [tls.CredentialName!];
            common.TlsCertificateSdsSecretConfigs.AddRange(credentials.Select(CredentialSds));
            if (validateClient)
            {
                common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = ClientChecks(),
                    ValidationContextSdsSecretConfig = CredentialSds(tls.CaCertCredentialName ?? credentials[0] + Interfaces.Model.MeshSecret.CaSuffix),
                };
            }
            else if (names.Count > 0)
            {
                common.ValidationContext = new CertificateValidationContext { MatchSubjectAltNames = { names } };
            }
        }
        else
        {
            common.TlsCertificates.Add(new TlsCertificate
            {
                CertificateChain = new DataSource { Filename = tls.ServerCertificate },
                PrivateKey = new DataSource { Filename = tls.PrivateKey },
            });
            if (validateClient && tls.CaCertificates is { } ca)
            {
                var validation = ClientChecks();
                validation.TrustedCa = new DataSource { Filename = ca };
                if (tls.CaCrl is { } crl)
                {
                    validation.Crl = new DataSource { Filename = crl };
                }

                common.ValidationContext = validation;
            }
        }

        if (tls.Mode is "SIMPLE" or "MUTUAL" or "OPTIONAL_MUTUAL")
        {
            // Istio's applyServerTLSSettings: only what the server sets.
            if (Protocol(tls.MinProtocolVersion) is { } min)
            {
                (common.TlsParams ??= new TlsParameters()).TlsMinimumProtocolVersion = min;
            }

            if (Protocol(tls.MaxProtocolVersion) is { } max)
            {
                (common.TlsParams ??= new TlsParameters()).TlsMaximumProtocolVersion = max;
            }

            if (tls.CipherSuites.Count > 0)
            {
                (common.TlsParams ??= new TlsParameters()).CipherSuites.AddRange(tls.CipherSuites);
            }
        }

        return Socket(new DownstreamTlsContext { CommonTlsContext = common, RequireClientCertificate = requireClient });

        // What the mutual modes check a client certificate against, beside its CA: the names and the pins.
        CertificateValidationContext ClientChecks()
        {
            var validation = new CertificateValidationContext { MatchSubjectAltNames = { names } };
            validation.VerifyCertificateSpki.AddRange(tls.VerifyCertificateSpki ?? []);
            validation.VerifyCertificateHash.AddRange(tls.VerifyCertificateHash ?? []);
            return validation;
        }
    }

    private static TlsParameters.Types.TlsProtocol? Protocol(string? version) => version switch
    {
        "TLSV1_0" => TlsParameters.Types.TlsProtocol.Tlsv10,
        "TLSV1_1" => TlsParameters.Types.TlsProtocol.Tlsv11,
        "TLSV1_2" => TlsParameters.Types.TlsProtocol.Tlsv12,
        "TLSV1_3" => TlsParameters.Types.TlsProtocol.Tlsv13,
        _ => null,
    };

    /// <summary>Istio's default SNI for ISTIO_MUTUAL to cluster <paramref name="clusterName"/> (<c>outbound|PORT|SUBSET|HOST</c>): <c>outbound_.PORT_.SUBSET_.HOST</c>.</summary>
    public static string DefaultSni(string clusterName)
    {
        ArgumentNullException.ThrowIfNull(clusterName);
        var parts = clusterName.Split('|');
        return parts.Length == 4 ? $"{parts[0]}_.{parts[1]}_.{parts[2]}_.{parts[3]}" : clusterName;
    }

    private static CommonTlsContext ProxylessCommon(IEnumerable<string> subjectAltNames)
    {
        var validation = new CertificateValidationContext { CaCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = "default", CertificateName = RootSecret } };
        validation.MatchSubjectAltNames.AddRange(subjectAltNames.Select(san => new StringMatcher { Exact = san }));
        return new CommonTlsContext
        {
            TlsCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = "default", CertificateName = DefaultSecret },
            // The plain validation context (not Istio's combined one, whose SDS part Envoy requires and gRPC refuses).
            ValidationContext = validation,
        };
    }

    /// <summary>Mesh TLS: TLS 1.2 to 1.3, the certificate <c>default</c>, the peer checked against <c>ROOTCA</c> and <paramref name="subjectAltNames"/>.</summary>
    private static CommonTlsContext MeshCommon(IEnumerable<StringMatcher> subjectAltNames)
    {
        var common = new CommonTlsContext
        {
            TlsParams = Versions(),
            CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new CertificateValidationContext(),
                ValidationContextSdsSecretConfig = Sds(RootSecret),
            },
        };
        common.TlsCertificateSdsSecretConfigs.Add(Sds(DefaultSecret));
        common.CombinedValidationContext.DefaultValidationContext.MatchSubjectAltNames.AddRange(subjectAltNames);
        return common;
    }

    private static TlsParameters Versions() => new()
    {
        TlsMinimumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv12,
        TlsMaximumProtocolVersion = TlsParameters.Types.TlsProtocol.Tlsv13,
    };

    private static TransportSocket Socket(Google.Protobuf.IMessage context) => new() { Name = TlsTransportSocketName, TypedConfig = Any.Pack(context) };
}
