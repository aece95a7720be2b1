using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// The policy of one cluster, merged as Istio documents it: "port-level settings override the
/// destination-level settings" without inheriting from them, and a subset's policy overrides the
/// destination's for the fields it sets.
/// </summary>
public sealed class TrafficPoliciesTests
{
    private static readonly LoadBalancerSpec s_random = new("RANDOM", null, null, null, null, null);
    private static readonly LoadBalancerSpec s_leastRequest = new("LEAST_REQUEST", null, null, null, null, null);
    private static readonly LoadBalancerSpec s_ringHash = new(null, "header:x-user", null, null, 1024, null);
    private static readonly ConnectionPoolSpec s_pool = new(10, null, null, null, null, null, null, null, null, null);
    private static readonly OutlierDetectionSpec s_outlier = new(3, null, null, null, null, null, null, null);

    [Fact]
    public void NoRule_HasNoPolicy()
    {
        Assert.Null(TrafficPolicies.For(null, 9080));
    }

    [Fact]
    public void TopLevelPolicy_HoldsForEveryPortAndSubset()
    {
        var rule = Rule(Policy(s_random, s_pool), ("v1", null));

        Assert.Equal(s_random, TrafficPolicies.For(rule, 9080)!.LoadBalancer);
        Assert.Equal(s_pool, TrafficPolicies.For(rule, 9080, "v1")!.ConnectionPool);
        Assert.Equal(s_random, TrafficPolicies.LoadBalancer(rule, 9080, "unknown"));
    }

    [Fact]
    public void PortLevelSettings_ReplaceTheTopLevelPolicyWhole_OnTheirPortOnly()
    {
        var rule = Rule(Policy(s_random, s_pool) with { PortLevelSettings = [Policy(s_leastRequest, null) with { Port = 9080 }] });

        var onPort = TrafficPolicies.For(rule, 9080)!;
        Assert.Equal(s_leastRequest, onPort.LoadBalancer);
        Assert.Null(onPort.ConnectionPool); // Not inherited from the top level: Envoy's default.
        Assert.Equal(s_pool, TrafficPolicies.For(rule, 9081)!.ConnectionPool);
    }

    [Fact]
    public void SubsetPolicy_OverridesOnlyTheFieldsItSets()
    {
        var rule = Rule(Policy(s_random, s_pool) with { OutlierDetection = s_outlier }, ("v2", Policy(s_ringHash, null)));

        var merged = TrafficPolicies.For(rule, 9080, "v2")!;

        Assert.Equal(s_ringHash, merged.LoadBalancer);
        Assert.Equal(s_pool, merged.ConnectionPool);
        Assert.Equal(s_outlier, merged.OutlierDetection);
        Assert.Equal(s_random, TrafficPolicies.For(rule, 9080, "v1")?.LoadBalancer);
    }

    [Fact]
    public void SubsetPortLevelSettings_OverrideEveryField_OnTheirPort()
    {
        var subset = Policy(s_ringHash, null) with { PortLevelSettings = [Policy(null, null) with { Port = 9080, OutlierDetection = s_outlier }] };
        var rule = Rule(Policy(s_random, s_pool), ("v2", subset));

        var onPort = TrafficPolicies.For(rule, 9080, "v2")!;
        var elsewhere = TrafficPolicies.For(rule, 9081, "v2")!;

        Assert.Equal((null, null, s_outlier), (onPort.LoadBalancer, onPort.ConnectionPool, onPort.OutlierDetection));
        Assert.Equal((s_ringHash, s_pool), (elsewhere.LoadBalancer, elsewhere.ConnectionPool));
    }

    [Fact]
    public void SubsetPolicy_WithoutATopLevelPolicy_IsTheSubsetsOwn()
    {
        var rule = Rule(null, ("v2", Policy(s_leastRequest, null)));

        Assert.Equal(s_leastRequest, TrafficPolicies.LoadBalancer(rule, 9080, "v2"));
        Assert.Null(TrafficPolicies.For(rule, 9080));
    }

    private static TrafficPolicySpec Policy(LoadBalancerSpec? loadBalancer, ConnectionPoolSpec? pool) => new(null, loadBalancer, pool, null, null, []);

    private static DestinationRuleSpec Rule(TrafficPolicySpec? policy, params (string Name, TrafficPolicySpec? Policy)[] subsets) =>
        new("bookinfo", "reviews", "reviews.bookinfo.svc.cluster.local",
            subsets.Select(s => new SubsetSpec(s.Name, new Dictionary<string, string> { ["version"] = s.Name }, s.Policy)).ToList(), policy, [], null);
}
