using Envoy.Config.Cluster.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using UpstreamHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// A DestinationRule traffic policy on an outbound cluster, field by field, as Istio's
/// documentation of <c>TrafficPolicy</c> describes each one and its cluster builder writes it.
/// </summary>
public sealed class ClusterTranslatorTests
{
    private const string Name = "outbound|9080||reviews.bookinfo.svc.cluster.local";

    [Fact]
    public void NoPolicy_IsEdsOverAds_RoundRobin_TenSecondConnectTimeout_NoLimits()
    {
        var cluster = ClusterTranslator.BuildOutbound(Name);

        Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);
        Assert.Equal(Name, cluster.EdsClusterConfig.ServiceName);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy);
        Assert.Equal(10, cluster.ConnectTimeout.Seconds);
        Assert.Null(cluster.CircuitBreakers);
        Assert.Null(cluster.OutlierDetection);
        Assert.Empty(cluster.TypedExtensionProtocolOptions);
    }

    [Theory]
    [InlineData("ROUND_ROBIN", Cluster.Types.LbPolicy.RoundRobin)]
    [InlineData("LEAST_REQUEST", Cluster.Types.LbPolicy.LeastRequest)]
    [InlineData("RANDOM", Cluster.Types.LbPolicy.Random)]
    [InlineData("UNSPECIFIED", Cluster.Types.LbPolicy.RoundRobin)]
    public void Simple_PicksTheLbPolicy_ForEnvoy(string simple, Cluster.Types.LbPolicy expected)
    {
        var cluster = ClusterTranslator.BuildOutbound(Name, Policy(new LoadBalancerSpec(simple, null, null, null, null, null)), ClusterShape.Envoy);

        Assert.Equal(expected, cluster.LbPolicy);
        Assert.Equal(simple == "LEAST_REQUEST", cluster.LeastRequestLbConfig is not null);
    }

    [Fact]
    public void Passthrough_ForEnvoy_IsAnOriginalDestinationClusterThatPicksItsOwnEndpoint()
    {
        var cluster = ClusterTranslator.BuildOutbound(Name, Policy(new LoadBalancerSpec("PASSTHROUGH", null, null, null, null, null)), ClusterShape.Envoy);

        Assert.Equal(Cluster.Types.DiscoveryType.OriginalDst, cluster.Type);
        Assert.Equal(Cluster.Types.LbPolicy.ClusterProvided, cluster.LbPolicy);
        Assert.Null(cluster.EdsClusterConfig);
    }

    [Theory]
    [InlineData("LEAST_REQUEST")]
    [InlineData("RANDOM")]
    [InlineData("PASSTHROUGH")]
    public void SimplePolicyGrpcClientsReject_InTheProxylessShape_IsServedAsRoundRobinOverEds(string simple)
    {
        var loadBalancer = new LoadBalancerSpec(simple, null, null, null, null, null);

        var cluster = ClusterTranslator.BuildOutbound(Name, Policy(loadBalancer));

        Assert.Equal((Cluster.Types.LbPolicy.RoundRobin, Cluster.Types.DiscoveryType.Eds), (cluster.LbPolicy, cluster.Type));
        Assert.False(ClusterTranslator.LbPolicyOf(loadBalancer).AsAsked);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ROUND_ROBIN")]
    [InlineData("UNSPECIFIED")]
    [InlineData("ringHash")]
    public void PolicyGrpcClientsAccept_HasTheSameEnvoyAndProxylessShape(string? choice)
    {
        var loadBalancer = choice switch
        {
            null => null,
            "ringHash" => new LoadBalancerSpec(null, "header:x-user", null, null, 2048, null),
            _ => new LoadBalancerSpec(choice, null, null, null, null, null),
        };
        var pool = new ConnectionPoolSpec(MaxConnections: 100, TimeSpan.FromSeconds(2), null, null, null, null, null, null, null, null);

        var envoy = ClusterTranslator.BuildOutbound(Name, Policy(loadBalancer, pool), ClusterShape.Envoy);
        var proxyless = ClusterTranslator.BuildOutbound(Name, Policy(loadBalancer, pool), ClusterShape.Proxyless);

        Assert.Equal(envoy, proxyless);
        Assert.True(ClusterTranslator.LbPolicyOf(loadBalancer).AsAsked);
    }

    [Fact]
    public void LocalityDistribute_ForEnvoy_TurnsOnLocalityWeightedLoadBalancing_KeepingTheOutlierPanicThreshold_NotForGrpcClients()
    {
        var distribute = Mesh.Orleans.Grains.Interfaces.Xds.LocalityLbPolicy.Of(true, null, [new("r1", [new("r1", 100)])]);
        var policy = new TrafficPolicySpec(null, new LoadBalancerSpec(null, null, null, null, null, null, distribute), null,
            new OutlierDetectionSpec(5, null, null, null, null, null, null, 20), null, []);

        var envoy = ClusterTranslator.BuildOutbound(Name, policy, ClusterShape.Envoy);
        var proxyless = ClusterTranslator.BuildOutbound(Name, policy, ClusterShape.Proxyless);
        var failover = ClusterTranslator.BuildOutbound(Name, Policy(new LoadBalancerSpec(null, null, null, null, null, null, Mesh.Orleans.Grains.Interfaces.Xds.LocalityLbPolicy.Of(true, [new("r1", "r2")]))), ClusterShape.Envoy);

        Assert.NotNull(envoy.CommonLbConfig.LocalityWeightedLbConfig);
        Assert.Equal(20, envoy.CommonLbConfig.HealthyPanicThreshold.Value);
        Assert.Null(proxyless.CommonLbConfig.LocalityWeightedLbConfig);
        Assert.Null(failover.CommonLbConfig?.LocalityWeightedLbConfig);
    }

    [Fact]
    public void ConsistentHash_IsARingHash_WithItsMinimumRingSize_Or1024()
    {
        var sized = ClusterTranslator.BuildOutbound(Name, Policy(new LoadBalancerSpec(null, "header:x-user", null, null, 4096, null)));
        var unsized = ClusterTranslator.BuildOutbound(Name, Policy(new LoadBalancerSpec(null, "cookie:user", "/", TimeSpan.Zero, null, null)));

        Assert.Equal(Cluster.Types.LbPolicy.RingHash, sized.LbPolicy);
        Assert.Equal(4096ul, sized.RingHashLbConfig.MinimumRingSize);
        Assert.Equal(1024ul, unsized.RingHashLbConfig.MinimumRingSize);
        Assert.Equal(Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash, sized.RingHashLbConfig.HashFunction);
    }

    [Fact]
    public void Maglev_ForEnvoy_HasItsTableSize_AndInTheProxylessShapeIsARingHash()
    {
        var loadBalancer = new LoadBalancerSpec(null, "source-ip", null, null, null, 65537);

        var envoy = ClusterTranslator.BuildOutbound(Name, Policy(loadBalancer), ClusterShape.Envoy);
        var proxyless = ClusterTranslator.BuildOutbound(Name, Policy(loadBalancer));

        Assert.Equal((Cluster.Types.LbPolicy.Maglev, 65537ul), (envoy.LbPolicy, envoy.MaglevLbConfig.TableSize));
        Assert.Equal(Cluster.Types.LbPolicy.RingHash, proxyless.LbPolicy);
    }

    [Fact]
    public void ConnectionPool_SetsOneCircuitBreakerThreshold_UnlimitedWhereUnset()
    {
        var pool = new ConnectionPoolSpec(MaxConnections: 100, null, Http1MaxPendingRequests: 10, Http2MaxRequests: 1000, null, MaxRetries: 3, null, null, null, null);

        var threshold = Assert.Single(ClusterTranslator.BuildOutbound(Name, Policy(pool: pool)).CircuitBreakers.Thresholds);

        Assert.Equal((100u, 10u, 1000u, 3u), (threshold.MaxConnections, threshold.MaxPendingRequests, threshold.MaxRequests, threshold.MaxRetries));
        Assert.Equal(Envoy.Config.Core.V3.RoutingPriority.Default, threshold.Priority);

        var onlyConnections = Assert.Single(ClusterTranslator.BuildOutbound(Name, Policy(pool: pool with { Http1MaxPendingRequests = null, Http2MaxRequests = 0, MaxRetries = null })).CircuitBreakers.Thresholds);
        Assert.Equal((100u, uint.MaxValue, uint.MaxValue, uint.MaxValue), (onlyConnections.MaxConnections, onlyConnections.MaxPendingRequests, onlyConnections.MaxRequests, onlyConnections.MaxRetries));
    }

    [Fact]
    public void TcpConnectTimeout_IsTheClustersConnectTimeout()
    {
        var pool = new ConnectionPoolSpec(null, TimeSpan.FromMilliseconds(30), null, null, null, null, null, null, null, null);

        Assert.Equal(TimeSpan.FromMilliseconds(30), ClusterTranslator.BuildOutbound(Name, Policy(pool: pool)).ConnectTimeout.ToTimeSpan());
    }

    [Fact]
    public void HttpIdleTimeoutAndMaxRequestsPerConnection_AreUpstreamHttpProtocolOptions()
    {
        var pool = new ConnectionPoolSpec(null, null, null, null, MaxRequestsPerConnection: 1, null, IdleTimeout: TimeSpan.FromMinutes(5), null, null, null);

        var options = Options(ClusterTranslator.BuildOutbound(Name, Policy(pool: pool)));

        Assert.Equal(TimeSpan.FromMinutes(5), options.CommonHttpProtocolOptions.IdleTimeout.ToTimeSpan());
        Assert.Equal(1u, options.CommonHttpProtocolOptions.MaxRequestsPerConnection);
        // Envoy requires the upstream protocol (a required oneof its validate rules check): HTTP/1.1, as Istio's default.
        Assert.NotNull(options.ExplicitHttpConfig.HttpProtocolOptions);
    }

    [Fact]
    public void H2UpgradePolicyUpgrade_SpeaksHttp2Upstream_WithMaxConcurrentStreams_AndUseClientProtocolFollowsTheCaller()
    {
        var upgrade = new ConnectionPoolSpec(null, null, null, null, null, null, null, "UPGRADE", null, MaxConcurrentStreams: 50);

        var explicitHttp2 = Options(ClusterTranslator.BuildOutbound(Name, Policy(pool: upgrade))).ExplicitHttpConfig.Http2ProtocolOptions;
        var client = Options(ClusterTranslator.BuildOutbound(Name, Policy(pool: upgrade with { UseClientProtocol = true })));

        Assert.Equal(50u, explicitHttp2.MaxConcurrentStreams);
        Assert.NotNull(client.UseDownstreamProtocolConfig);
        Assert.Empty(ClusterTranslator.BuildOutbound(Name, Policy(pool: upgrade with { H2UpgradePolicy = "DO_NOT_UPGRADE" })).TypedExtensionProtocolOptions);
    }

    [Fact]
    public void OutlierDetection_EjectsOnConsecutiveErrors_WithSuccessRateEjectionOff_AndMinHealthPercentAsThePanicThreshold()
    {
        var outlier = new OutlierDetectionSpec(Consecutive5xxErrors: 7, ConsecutiveGatewayErrors: 0, null, null,
            Interval: TimeSpan.FromMinutes(5), BaseEjectionTime: TimeSpan.FromMinutes(15), MaxEjectionPercent: 100, MinHealthPercent: 30);

        var cluster = ClusterTranslator.BuildOutbound(Name, new TrafficPolicySpec(null, null, null, outlier, null, []));
        var detection = cluster.OutlierDetection;

        Assert.Equal((7u, 100u), (detection.Consecutive5Xx, detection.EnforcingConsecutive5Xx));
        Assert.Equal((0u, 0u), (detection.ConsecutiveGatewayFailure, detection.EnforcingConsecutiveGatewayFailure));
        Assert.Equal(0u, detection.EnforcingSuccessRate);
        Assert.Equal(TimeSpan.FromMinutes(5), detection.Interval.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(15), detection.BaseEjectionTime.ToTimeSpan());
        Assert.Equal(100u, detection.MaxEjectionPercent);
        Assert.Equal(30, cluster.CommonLbConfig.HealthyPanicThreshold.Value);

        var defaults = ClusterTranslator.BuildOutbound(Name, new TrafficPolicySpec(null, null, null, outlier with { MinHealthPercent = null, MaxEjectionPercent = null }, null, []));
        Assert.Equal(0, defaults.CommonLbConfig.HealthyPanicThreshold.Value);
        Assert.Null(defaults.OutlierDetection.MaxEjectionPercent);
    }

    [Fact]
    public void SubsetAndPortLevelPolicies_ReachTheirClusters_ThroughTheServiceTranslator()
    {
        const string Host = "reviews.bookinfo.svc.cluster.local";
        var service = new MeshService("bookinfo", "reviews", [new ServicePort("http", 9080, null, "TCP", null), new ServicePort("admin", 9090, null, "TCP", null)]);
        var top = new TrafficPolicySpec(null, null, new ConnectionPoolSpec(5, null, null, null, null, null, null, null, null, null), null, null,
            [new TrafficPolicySpec(9090, new LoadBalancerSpec(null, "header:x-user", null, null, null, null), null, null, null, [])]);
        var rule = new DestinationRuleSpec("bookinfo", "reviews", Host,
            [new SubsetSpec("v2", new Dictionary<string, string> { ["version"] = "v2" }, new TrafficPolicySpec(null, null, null, new OutlierDetectionSpec(1, null, null, null, null, null, null, null), null, []))],
            top, [], null);

        var clusters = ServiceTranslator.Translate(Host, service, [], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule)
            .Where(r => r.TypeUrl == Mesh.Orleans.Grains.Interfaces.Xds.TypeUrls.Cluster)
            .ToDictionary(r => r.Name, r => Cluster.Parser.ParseFrom(r.Payload));

        Assert.Equal(5u, clusters[$"outbound|9080||{Host}"].CircuitBreakers.Thresholds[0].MaxConnections);
        Assert.Null(clusters[$"outbound|9080||{Host}"].OutlierDetection);
        Assert.Equal(5u, clusters[$"outbound|9080|v2|{Host}"].CircuitBreakers.Thresholds[0].MaxConnections);
        Assert.Equal(1u, clusters[$"outbound|9080|v2|{Host}"].OutlierDetection.Consecutive5Xx);
        Assert.Equal(Cluster.Types.LbPolicy.RingHash, clusters[$"outbound|9090||{Host}"].LbPolicy);
        Assert.Null(clusters[$"outbound|9090||{Host}"].CircuitBreakers); // Port-level settings do not inherit.
    }

    private static TrafficPolicySpec Policy(LoadBalancerSpec? loadBalancer = null, ConnectionPoolSpec? pool = null) => new(null, loadBalancer, pool, null, null, []);

    private static UpstreamHttpProtocolOptions Options(Cluster cluster) =>
        cluster.TypedExtensionProtocolOptions[ClusterTranslator.HttpProtocolOptionsKey].Unpack<UpstreamHttpProtocolOptions>();
}
