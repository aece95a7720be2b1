using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;
using CoreHttpProtocolOptions = Envoy.Config.Core.V3.HttpProtocolOptions;
using UpstreamHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Builds CDS resources: an outbound EDS cluster shaped by the DestinationRule traffic policy
/// that holds for it (see <see cref="TrafficPolicies.For"/>), as Istio's cluster builder applies
/// one (cluster_traffic_policy.go): load balancer, connection pool (circuit breakers, connect
/// timeout, upstream HTTP protocol options) and outlier detection.
/// </summary>
public static class ClusterTranslator
{
    /// <summary>Istio's default connect timeout for outbound clusters.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The key of the upstream HTTP protocol options in <c>typed_extension_protocol_options</c>.</summary>
    public const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>The largest ring Envoy and gRPC clients accept (<c>minimum_ring_size</c> is limited to 8M entries).</summary>
    public const long MaxRingSize = 8_388_608;

    /// <summary>Istio's ring size when a consistent hash names none (Envoy's default too).</summary>
    public const long DefaultRingSize = 1024;

    /// <summary>
    /// The outbound cluster for one service port (and subset): EDS over ADS (its endpoints are
    /// the ClusterLoadAssignment of the same name), round robin, 10 s connect timeout, shaped by
    /// <paramref name="policy"/> when given.
    /// </summary>
    /// <param name="clusterName">The cluster's name, also its EDS service name.</param>
    /// <param name="policy">The traffic policy for the cluster's port and subset, or null.</param>
    /// <param name="shape">
    /// <see cref="ClusterShape.Proxyless"/> (the default) for the shape proxyless gRPC clients
    /// accept; <see cref="ClusterShape.Envoy"/> for the full policy Envoy sidecars and gateways read.
    /// </param>
    /// <param name="autoMtls">
    /// True for a cluster some of whose endpoints take mesh mutual TLS: without a DestinationRule
    /// <c>tls</c>, an Envoy cluster gets Istio's auto mutual TLS (see <see cref="MtlsTranslator.AutoMtls"/>).
    /// A cluster none of whose endpoints does is served as Istio's would behave: plaintext.
    /// </param>
    /// <param name="identities">
    /// The SPIFFE identities of the service's endpoints: what ISTIO_MUTUAL checks the server
    /// against when the DestinationRule names no <c>subjectAltNames</c> (Istio's service accounts of
    /// the service); empty: any identity of the mesh.
    /// </param>
    public static Cluster BuildOutbound(string clusterName, TrafficPolicySpec? policy = null, ClusterShape shape = ClusterShape.Proxyless, bool autoMtls = false, IReadOnlyList<string>? identities = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        var cluster = new Cluster
        {
            Name = clusterName,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig
            {
                EdsConfig = AdsConfigSource(),
                ServiceName = clusterName,
            },
            ConnectTimeout = Duration.FromTimeSpan(ConnectTimeout),
            LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
        };
        ApplyTls(cluster, policy?.Tls, shape, autoMtls, identities ?? []);
        if (policy is null)
        {
            return cluster;
        }

        ApplyConnectionPool(cluster, policy.ConnectionPool);
        ApplyOutlierDetection(cluster, policy.OutlierDetection);
        ApplyLoadBalancer(cluster, policy.LoadBalancer, shape);
        if (shape == ClusterShape.Envoy && policy.LoadBalancer?.LocalityLb is { Distributes: true })
        {
            // Envoy weighs localities by load_balancing_weight only with this set, as Istio sets it
            // for distribute. gRPC clients always weigh localities, so their shape goes without.
            cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig();
            cluster.CommonLbConfig.LocalityWeightedLbConfig = new Cluster.Types.CommonLbConfig.Types.LocalityWeightedLbConfig();
        }

        return cluster;
    }

    /// <summary>
    /// A DestinationRule's <c>tls</c> (Istio's <c>cluster_tls.go</c>): ISTIO_MUTUAL with the mesh's
    /// certificates (SNI <c>outbound_.PORT_.SUBSET_.HOST</c> unless the rule gives one), SIMPLE and
    /// MUTUAL with files on the proxy, DISABLE nothing; without one, auto mutual TLS. A proxyless
    /// gRPC client takes ISTIO_MUTUAL only, from its bootstrap's certificate provider, and no auto
    /// mutual TLS (as Istio's grpcgen; gRPC refuses <c>transport_socket_matches</c>).
    /// </summary>
    private static void ApplyTls(Cluster cluster, ClientTlsSpec? tls, ClusterShape shape, bool autoMtls, IReadOnlyList<string> identities)
    {
        var names = tls is { SubjectAltNames.Count: > 0 } ? tls.SubjectAltNames : identities;
        if (shape == ClusterShape.Proxyless)
        {
            if (tls is { Mode: "ISTIO_MUTUAL" })
            {
                cluster.TransportSocket = MtlsTranslator.ProxylessUpstream(names);
            }

            return;
        }

        switch (tls?.Mode)
        {
            case null when autoMtls:
                cluster.TransportSocketMatches.AddRange(MtlsTranslator.AutoMtls(MtlsTranslator.DefaultSni(cluster.Name), identities));
                break;
            case "ISTIO_MUTUAL":
                cluster.TransportSocket = MtlsTranslator.IstioMutual(tls.Sni ?? MtlsTranslator.DefaultSni(cluster.Name), names);
                break;
            case "SIMPLE" or "MUTUAL":
                cluster.TransportSocket = MtlsTranslator.FileTls(tls);
                break;
        }
    }

    /// <summary>
    /// The load-balancing policy the cluster gets for <paramref name="loadBalancer"/>, and
    /// whether that is what was asked for: a <see cref="ClusterShape.Proxyless"/> cluster only
    /// takes what gRPC clients accept (ROUND_ROBIN, RING_HASH; @grpc/grpc-js-xds rejects the
    /// whole Cluster for any other lb_policy), so LEAST_REQUEST and RANDOM are served as
    /// ROUND_ROBIN, MAGLEV as RING_HASH, and PASSTHROUGH as the EDS cluster it is without one.
    /// </summary>
    public static (Cluster.Types.LbPolicy Policy, bool AsAsked) LbPolicyOf(LoadBalancerSpec? loadBalancer, ClusterShape shape = ClusterShape.Proxyless)
    {
        var asked = loadBalancer switch
        {
            null => Cluster.Types.LbPolicy.RoundRobin,
            { HashKey: not null, MaglevTableSize: not null } => Cluster.Types.LbPolicy.Maglev,
            { HashKey: not null } => Cluster.Types.LbPolicy.RingHash,
            { Simple: "LEAST_REQUEST" or "LEAST_CONN" } => Cluster.Types.LbPolicy.LeastRequest,
            { Simple: "RANDOM" } => Cluster.Types.LbPolicy.Random,
            { Simple: "PASSTHROUGH" } => Cluster.Types.LbPolicy.ClusterProvided,
            _ => Cluster.Types.LbPolicy.RoundRobin, // ROUND_ROBIN, UNSPECIFIED, or no choice at all.
        };
        if (shape == ClusterShape.Envoy)
        {
            return (asked, true);
        }

        var served = asked switch
        {
            Cluster.Types.LbPolicy.Maglev => Cluster.Types.LbPolicy.RingHash,
            Cluster.Types.LbPolicy.RingHash => Cluster.Types.LbPolicy.RingHash,
            _ => Cluster.Types.LbPolicy.RoundRobin,
        };
        return (served, served == asked);
    }

    /// <summary>An lb_policy as Envoy's proto spells it (<c>ROUND_ROBIN</c>, <c>RING_HASH</c>, ...).</summary>
    public static string NameOf(Cluster.Types.LbPolicy policy) =>
        Cluster.Descriptor.EnumTypes.Single(e => e.Name == "LbPolicy").FindValueByNumber((int)policy)?.Name ?? policy.ToString();

    /// <summary>
    /// A ConfigSource that says "over the same ADS stream, v3 resources", with no initial fetch
    /// timeout, as Istio writes it: Envoy keeps a cluster or listener warming until its endpoints
    /// or routes arrive instead of giving up after its default 15 s and serving without them.
    /// </summary>
    public static ConfigSource AdsConfigSource() => new()
    {
        Ads = new AggregatedConfigSource(),
        InitialFetchTimeout = new Duration(),
        ResourceApiVersion = ApiVersion.V3,
    };

    /// <summary>
    /// <c>loadBalancer</c>: <c>simple</c> picks the lb_policy (LEAST_REQUEST with a default
    /// least_request_lb_config; PASSTHROUGH an ORIGINAL_DST cluster that uses the caller's
    /// destination, lb_policy CLUSTER_PROVIDED); <c>consistentHash</c> RING_HASH with its minimum
    /// ring size, or MAGLEV with its table size. The hash key itself goes on routes (hash_policy).
    /// </summary>
    private static void ApplyLoadBalancer(Cluster cluster, LoadBalancerSpec? loadBalancer, ClusterShape shape)
    {
        var (lbPolicy, _) = LbPolicyOf(loadBalancer, shape);
        cluster.LbPolicy = lbPolicy;
        switch (lbPolicy)
        {
            case Cluster.Types.LbPolicy.LeastRequest:
                cluster.LeastRequestLbConfig = new Cluster.Types.LeastRequestLbConfig();
                break;
            case Cluster.Types.LbPolicy.RingHash:
                cluster.RingHashLbConfig = new Cluster.Types.RingHashLbConfig
                {
                    MinimumRingSize = (ulong)Math.Clamp(loadBalancer?.MinimumRingSize ?? DefaultRingSize, 1, MaxRingSize),
                };
                break;
            case Cluster.Types.LbPolicy.Maglev:
                cluster.MaglevLbConfig = new Cluster.Types.MaglevLbConfig { TableSize = (ulong)loadBalancer!.MaglevTableSize!.Value };
                break;
            case Cluster.Types.LbPolicy.ClusterProvided:
                // The caller's original destination is the endpoint: no EDS.
                cluster.Type = Cluster.Types.DiscoveryType.OriginalDst;
                cluster.EdsClusterConfig = null;
                break;
        }
    }

    /// <summary>
    /// <c>connectionPool</c>: one circuit-breaker threshold (Envoy's default priority) whose
    /// limits are those given and unlimited otherwise, as Istio writes it (tcp.maxConnections ->
    /// max_connections, http.http1MaxPendingRequests -> max_pending_requests,
    /// http.http2MaxRequests -> max_requests, http.maxRetries -> max_retries; a 0 means unset);
    /// tcp.connectTimeout -> connect_timeout; and http.idleTimeout, http.maxRequestsPerConnection,
    /// h2UpgradePolicy UPGRADE, useClientProtocol and maxConcurrentStreams -> the upstream
    /// HttpProtocolOptions in typed_extension_protocol_options.
    /// </summary>
    private static void ApplyConnectionPool(Cluster cluster, ConnectionPoolSpec? pool)
    {
        if (pool is null)
        {
            return;
        }

        if (pool.ConnectTimeout is { } connectTimeout)
        {
            cluster.ConnectTimeout = Duration.FromTimeSpan(connectTimeout);
        }

        cluster.CircuitBreakers = new CircuitBreakers
        {
            Thresholds =
            {
                new CircuitBreakers.Types.Thresholds
                {
                    MaxConnections = Limit(pool.MaxConnections),
                    MaxPendingRequests = Limit(pool.Http1MaxPendingRequests),
                    MaxRequests = Limit(pool.Http2MaxRequests),
                    MaxRetries = Limit(pool.MaxRetries),
                    TrackRemaining = true,
                },
            },
        };

        var options = new UpstreamHttpProtocolOptions();
        var any = false;
        if (pool.UseClientProtocol is true)
        {
            options.UseDownstreamProtocolConfig = new UpstreamHttpProtocolOptions.Types.UseDownstreamHttpConfig
            {
                HttpProtocolOptions = new Http1ProtocolOptions(),
                Http2ProtocolOptions = new Http2ProtocolOptions(),
            };
            any = true;
        }
        else if (pool.H2UpgradePolicy == "UPGRADE")
        {
            var http2 = new Http2ProtocolOptions();
            if (pool.MaxConcurrentStreams is > 0 and var streams)
            {
                http2.MaxConcurrentStreams = (uint)streams;
            }

            options.ExplicitHttpConfig = new UpstreamHttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = http2 };
            any = true;
        }

        if (pool.IdleTimeout is not null || pool.MaxRequestsPerConnection is > 0)
        {
            options.CommonHttpProtocolOptions = new CoreHttpProtocolOptions();
            if (pool.IdleTimeout is { } idle)
            {
                options.CommonHttpProtocolOptions.IdleTimeout = Duration.FromTimeSpan(idle);
            }

            if (pool.MaxRequestsPerConnection is > 0 and var perConnection)
            {
                options.CommonHttpProtocolOptions.MaxRequestsPerConnection = (uint)perConnection;
            }

            any = true;
        }

        if (any)
        {
            // Envoy requires upstream_protocol_options (a required oneof); without an upgrade or
            // the client's protocol, Istio's upstream is HTTP/1.1.
            if (options.UpstreamProtocolOptionsCase == UpstreamHttpProtocolOptions.UpstreamProtocolOptionsOneofCase.None)
            {
                options.ExplicitHttpConfig = new UpstreamHttpProtocolOptions.Types.ExplicitHttpConfig { HttpProtocolOptions = new Http1ProtocolOptions() };
            }

            cluster.TypedExtensionProtocolOptions[HttpProtocolOptionsKey] = Any.Pack(options);
        }

        static uint Limit(int? value) => value is > 0 ? (uint)value.Value : uint.MaxValue;
    }

    /// <summary>
    /// <c>outlierDetection</c> as Istio writes it: success-rate ejection off (enforcing 0);
    /// consecutive5xxErrors and consecutiveGatewayErrors each enforced at 100 % when above 0
    /// (0 turns that check off); interval, baseEjectionTime, maxEjectionPercent; local-origin
    /// failures when split; and minHealthPercent (0 when unset) as the panic threshold.
    /// </summary>
    private static void ApplyOutlierDetection(Cluster cluster, OutlierDetectionSpec? outlier)
    {
        if (outlier is null)
        {
            return;
        }

        var detection = new OutlierDetection { EnforcingSuccessRate = 0 };
        if (outlier.Consecutive5xxErrors is { } fivexx)
        {
            detection.Consecutive5Xx = (uint)fivexx;
            detection.EnforcingConsecutive5Xx = fivexx > 0 ? 100u : 0u;
        }

        if (outlier.ConsecutiveGatewayErrors is { } gateway)
        {
            detection.ConsecutiveGatewayFailure = (uint)gateway;
            detection.EnforcingConsecutiveGatewayFailure = gateway > 0 ? 100u : 0u;
        }

        if (outlier.Interval is { } interval)
        {
            detection.Interval = Duration.FromTimeSpan(interval);
        }

        if (outlier.BaseEjectionTime is { } baseEjection)
        {
            detection.BaseEjectionTime = Duration.FromTimeSpan(baseEjection);
        }

        if (outlier.MaxEjectionPercent is > 0 and var maxEjection)
        {
            detection.MaxEjectionPercent = (uint)maxEjection;
        }

        if (outlier.SplitExternalLocalOriginErrors is true)
        {
            detection.SplitExternalLocalOriginErrors = true;
            if (outlier.ConsecutiveLocalOriginFailures is > 0 and var localOrigin)
            {
                detection.ConsecutiveLocalOriginFailure = (uint)localOrigin;
                detection.EnforcingConsecutiveLocalOriginFailure = 100;
            }

            detection.EnforcingLocalOriginSuccessRate = 0;
        }

        cluster.OutlierDetection = detection;
        cluster.CommonLbConfig = new Cluster.Types.CommonLbConfig
        {
            HealthyPanicThreshold = new Envoy.Type.V3.Percent { Value = outlier.MinHealthPercent ?? 0 },
        };
    }
}
