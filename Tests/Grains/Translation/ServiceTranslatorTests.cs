using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains.Translation;

public sealed class ServiceTranslatorTests
{
    private const string Host = "echo.default.svc.cluster.local";

    [Fact]
    public void Translate_OnePort_ProducesClusterEndpointsListenerAndRoutesNamedTheIstioWay()
    {
        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [Slice("s", "echo", 17000, ("127.0.0.1", true, null))], [], new Dictionary<string, IReadOnlyList<int>>());

        Assert.Equal(
            [
                (TypeUrls.Cluster, $"outbound|7000||{Host}"),
                (TypeUrls.ClusterLoadAssignment, $"outbound|7000||{Host}"),
                (TypeUrls.Listener, $"{Host}:7000"),
                (TypeUrls.RouteConfiguration, $"{Host}:7000"),
                (TypeUrls.VirtualHostPiece, $"{Host}:7000"),
            ],
            resources.Select(r => (r.TypeUrl, r.Name)));
        Assert.Equal(
            [ResourceAudience.All, ResourceAudience.All, ResourceAudience.Proxyless, ResourceAudience.Proxyless, ResourceAudience.Sidecar],
            resources.Select(r => r.Audience));
        Assert.Equal($"outbound|7000||{Host}", Cluster.Parser.ParseFrom(resources[0].Payload).Name);
        Assert.Equal($"{Host}:7000", Listener.Parser.ParseFrom(resources[2].Payload).Name);
    }

    [Fact]
    public void Translate_TwoPorts_ProducesFiveResourcesPerPort()
    {
        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000, 7001), [], [], new Dictionary<string, IReadOnlyList<int>>());

        Assert.Equal(10, resources.Count);
        Assert.Contains(resources, r => r.Name == $"{Host}:7001" && r.TypeUrl == TypeUrls.Listener);
    }

    [Fact]
    public void Translate_NoService_ProducesNothing()
    {
        Assert.Empty(ServiceTranslator.Translate(Host, null, [Slice("s", "echo", 17000, ("127.0.0.1", true, null))], [], new Dictionary<string, IReadOnlyList<int>>()));
    }

    [Fact]
    public void Versions_AreTheHashOfTheBytes_SoTheSameInputGivesTheSameVersion()
    {
        var slice = Slice("s", "echo", 17000, ("127.0.0.1", true, null));
        var first = ServiceTranslator.Translate(Host, Service("echo", 7000), [slice], [], new Dictionary<string, IReadOnlyList<int>>());
        var again = ServiceTranslator.Translate(Host, Service("echo", 7000), [slice], [], new Dictionary<string, IReadOnlyList<int>>());
        var changed = ServiceTranslator.Translate(Host, Service("echo", 7000), [Slice("s", "echo", 17000, ("127.0.0.2", true, null))], [], new Dictionary<string, IReadOnlyList<int>>());

        Assert.Equal(first.Select(r => r.Version), again.Select(r => r.Version));
        Assert.All(first, r => Assert.Equal(ResourceVersion.Of(r.Payload), r.Version));
        Assert.Equal(first[0].Version, changed[0].Version);
        Assert.NotEqual(first[1].Version, changed[1].Version);
    }

    [Fact]
    public void Translate_HostWithoutServiceThatRoutesName_GetsAClusterWithNoEndpointsAndNoListener()
    {
        var resources = ServiceTranslator.Translate(Host, null, [], [], new Dictionary<string, IReadOnlyList<int>>(), referencedPorts: [9080]);

        Assert.Equal(
            [(TypeUrls.Cluster, $"outbound|9080||{Host}"), (TypeUrls.ClusterLoadAssignment, $"outbound|9080||{Host}")],
            resources.Select(r => (r.TypeUrl, r.Name)));
        Assert.Empty(Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(resources[1].Payload).Endpoints);
    }

    [Fact]
    public void Translate_ReferencedPortTheServiceLacks_GetsAnEmptyClusterBesideTheRealOnes()
    {
        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [], [], new Dictionary<string, IReadOnlyList<int>>(), referencedPorts: [7000, 1234]);

        Assert.Contains((TypeUrls.Cluster, $"outbound|1234||{Host}"), resources.Select(r => (r.TypeUrl, r.Name)));
        Assert.Single(resources, r => r.TypeUrl == TypeUrls.Cluster && r.Name == $"outbound|7000||{Host}");
        Assert.DoesNotContain((TypeUrls.Listener, $"{Host}:1234"), resources.Select(r => (r.TypeUrl, r.Name)));
    }

    [Fact]
    public void Translate_RuleWithSubsets_AddsAClusterPerSubsetAndPort_WithTheEndpointsOfPodsCarryingItsLabels()
    {
        var slice = Slice("s", "echo", 17000, ("127.0.0.1", true, null), ("127.0.0.2", true, null), ("127.0.0.3", true, null));
        slice = slice with
        {
            Ports = [new SlicePort("p7000", 17000, "TCP")],
            Endpoints =
            [
                slice.Endpoints[0] with { Labels = Labels(("app", "echo"), ("version", "v1")) },
                slice.Endpoints[1] with { Labels = Labels(("app", "echo"), ("version", "v2")) },
                slice.Endpoints[2], // Its pod is unknown: no subset with labels selects it.
            ],
        };
        var rule = new DestinationRuleSpec("default", "echo", Host,
            [new SubsetSpec("v1", Labels(("version", "v1")), null), new SubsetSpec("all", Labels(), null)], null, [], null);

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000, 7001), [slice], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule);

        var clusters = resources.Where(r => r.TypeUrl == TypeUrls.Cluster).Select(r => r.Name).ToList();
        Assert.Equal([$"outbound|7000||{Host}", $"outbound|7000|v1|{Host}", $"outbound|7000|all|{Host}", $"outbound|7001||{Host}", $"outbound|7001|v1|{Host}", $"outbound|7001|all|{Host}"], clusters);
        Assert.Equal(["127.0.0.1"], Addresses(resources, $"outbound|7000|v1|{Host}"));
        Assert.Equal(["127.0.0.1", "127.0.0.2", "127.0.0.3"], Addresses(resources, $"outbound|7000|all|{Host}"));
        Assert.Equal(["127.0.0.1", "127.0.0.2", "127.0.0.3"], Addresses(resources, $"outbound|7000||{Host}"));
        var subsetCluster = Cluster.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.Cluster && r.Name == $"outbound|7000|v1|{Host}").Payload);
        Assert.Equal($"outbound|7000|v1|{Host}", subsetCluster.EdsClusterConfig.ServiceName);
    }

    [Fact]
    public void Translate_ReferencedSubsetTheHostLacks_GetsAnEmptyCluster_AndOneItHasIsBuiltOnce()
    {
        var rule = new DestinationRuleSpec("default", "echo", Host, [new SubsetSpec("v1", Labels(("version", "v1")), null)], null, [], null);

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [], [], new Dictionary<string, IReadOnlyList<int>>(),
            destinationRule: rule, referencedSubsets: [new ReferencedSubset(7000, "v9"), new ReferencedSubset(7000, "v1"), new ReferencedSubset(8000, "v1")]);

        var names = resources.Where(r => r.TypeUrl == TypeUrls.Cluster).Select(r => r.Name).ToList();
        Assert.Equal([$"outbound|7000|v9|{Host}", $"outbound|8000|v1|{Host}", $"outbound|7000||{Host}", $"outbound|7000|v1|{Host}"], names);
        Assert.Empty(Addresses(resources, $"outbound|7000|v9|{Host}"));
    }

    [Fact]
    public void Translate_LeastRequestRule_GivesSidecarsLeastRequest_AndProxylessClientsRoundRobin_UnderOneName()
    {
        var rule = Rule(new LoadBalancerSpec("LEAST_REQUEST", null, null, null, null, null));

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule);

        var clusters = resources.Where(r => r.TypeUrl == TypeUrls.Cluster).ToList();
        Assert.Equal([ResourceAudience.Envoy, ResourceAudience.Proxyless], clusters.Select(r => r.Audience));
        Assert.All(clusters, r => Assert.Equal($"outbound|7000||{Host}", r.Name));
        var sidecar = Cluster.Parser.ParseFrom(ServedTo(resources, ResourceAudience.Sidecar).Payload);
        var proxyless = Cluster.Parser.ParseFrom(ServedTo(resources, ResourceAudience.Proxyless).Payload);
        Assert.Equal(Cluster.Types.LbPolicy.LeastRequest, sidecar.LbPolicy);
        Assert.NotNull(sidecar.LeastRequestLbConfig);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, proxyless.LbPolicy);
        Assert.Null(proxyless.LeastRequestLbConfig);
        Assert.Same(ServedTo(resources, ResourceAudience.Sidecar), ServedTo(resources, ResourceAudience.Router));
        Assert.All(clusters, r => Assert.Equal(ResourceVersion.Of(r.Payload), r.Version));
    }

    [Fact]
    public void Translate_RoundRobinRule_GivesOneClusterForEveryProxy()
    {
        var rule = Rule(new LoadBalancerSpec("ROUND_ROBIN", null, null, null, null, null));

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule);

        var cluster = Assert.Single(resources, r => r.TypeUrl == TypeUrls.Cluster);
        Assert.Equal(ResourceAudience.All, cluster.Audience);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, Cluster.Parser.ParseFrom(cluster.Payload).LbPolicy);
    }

    [Fact]
    public void Translate_SubsetPolicyOnlyTheEnvoyShapeHolds_SplitsOnlyThatSubsetsCluster()
    {
        var maglev = new TrafficPolicySpec(null, new LoadBalancerSpec(null, "source-ip", null, null, null, 65537), null, null, null, []);
        var rule = new DestinationRuleSpec("default", "echo", Host, [new SubsetSpec("v1", Labels(("version", "v1")), maglev)], null, [], null);

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule);

        Assert.Equal(
            [($"outbound|7000||{Host}", ResourceAudience.All), ($"outbound|7000|v1|{Host}", ResourceAudience.Envoy), ($"outbound|7000|v1|{Host}", ResourceAudience.Proxyless)],
            resources.Where(r => r.TypeUrl == TypeUrls.Cluster).Select(r => (r.Name, r.Audience)));
        var split = resources.Where(r => r.TypeUrl == TypeUrls.Cluster && r.Name.Contains("|v1|", StringComparison.Ordinal)).Select(r => Cluster.Parser.ParseFrom(r.Payload).LbPolicy);
        Assert.Equal([Cluster.Types.LbPolicy.Maglev, Cluster.Types.LbPolicy.RingHash], split);
    }

    [Fact]
    public void Translate_LocalityLbSetting_TravelsWithEachClustersAssignment_AndIsPartOfItsVersion()
    {
        var failover = LocalityLbPolicy.Of(null, [new RegionFailover("r1", "r2")])!;
        var rule = new DestinationRuleSpec("default", "echo", Host,
            [
                new SubsetSpec("off", Labels(), new TrafficPolicySpec(null, new LoadBalancerSpec(null, null, null, null, null, null, LocalityLbPolicy.Disabled), null, null, null, [])),
                new SubsetSpec("plain", Labels(), new TrafficPolicySpec(null, new LoadBalancerSpec("RANDOM", null, null, null, null, null), null, null, null, [])),
                new SubsetSpec("inherits", Labels(), null),
            ],
            new TrafficPolicySpec(null, new LoadBalancerSpec(null, null, null, null, null, null, failover), null, null, null, []),
            [],
            null);
        var slice = Slice("s", "echo", 17000, ("127.0.0.1", true, null));

        var resources = ServiceTranslator.Translate(Host, Service("echo", 7000), [slice], [], new Dictionary<string, IReadOnlyList<int>>(), destinationRule: rule);
        var plain = ServiceTranslator.Translate(Host, Service("echo", 7000), [slice], [], new Dictionary<string, IReadOnlyList<int>>());

        XdsResource Assignment(IReadOnlyList<XdsResource> from, string subset) =>
            from.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Name == MeshNames.OutboundCluster(Host, 7000, subset));
        var main = Assignment(resources, string.Empty);
        Assert.Equal(failover, main.LocalityLb);
        Assert.Equal(failover, Assignment(resources, "inherits").LocalityLb);
        Assert.Equal(LocalityLbPolicy.Disabled, Assignment(resources, "off").LocalityLb);

        // A subset's loadBalancer replaces the rule's whole, so "plain" is back to the default.
        Assert.Null(Assignment(resources, "plain").LocalityLb);
        Assert.Equal(ResourceVersion.Of(Assignment(resources, "plain").Payload), Assignment(resources, "plain").Version);

        // Same bytes as without the rule, another version: a changed setting reaches the frontends.
        var without = Assignment(plain, string.Empty);
        Assert.Equal(without.Payload, main.Payload);
        Assert.NotEqual(without.Version, main.Version);
        Assert.Equal(LocalityLbPolicy.VersionOf(main.Payload, failover), main.Version);
    }

    private static DestinationRuleSpec Rule(LoadBalancerSpec loadBalancer) =>
        new("default", "echo", Host, [], new TrafficPolicySpec(null, loadBalancer, null, null, null, []), [], null);

    /// <summary>The one Cluster a scope of <paramref name="audience"/> takes from <paramref name="resources"/>.</summary>
    private static XdsResource ServedTo(IReadOnlyList<XdsResource> resources, ResourceAudience audience) =>
        Assert.Single(resources, r => r.TypeUrl == TypeUrls.Cluster && (r.Audience & audience) != 0);

    private static IReadOnlyDictionary<string, string> Labels(params (string Key, string Value)[] labels) => labels.ToDictionary(l => l.Key, l => l.Value);

    private static List<string> Addresses(IReadOnlyList<XdsResource> resources, string name) =>
        ClusterLoadAssignment.Parser.ParseFrom(resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Name == name).Payload)
            .Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).ToList();
}
