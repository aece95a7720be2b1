using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>Which DestinationRules bind to a hostname and how they merge, as Istio's lookup in push_context.go does it for one mesh-wide configuration.</summary>
public sealed class DestinationRulesTests
{
    private const string Reviews = "reviews.bookinfo.svc.cluster.local";

    [Fact]
    public void Bind_ExactHost_WinsOverAWildcardInTheSameNamespace()
    {
        var wildcard = Rule("bookinfo", "all", "*.bookinfo.svc.cluster.local");
        var exact = Rule("bookinfo", "reviews", Reviews);

        Assert.Equal([exact], DestinationRules.Bind(Reviews, [wildcard, exact]));
    }

    [Fact]
    public void Bind_LongestWildcard_WinsAndMatchesBySuffix()
    {
        var any = Rule("bookinfo", "any", "*");
        var local = Rule("bookinfo", "local", "*.svc.cluster.local");
        var ns = Rule("bookinfo", "ns", "*.bookinfo.svc.cluster.local");
        var other = Rule("bookinfo", "other", "*.example.com");

        Assert.Equal([ns], DestinationRules.Bind(Reviews, [any, local, ns, other]));
        Assert.Equal([local], DestinationRules.Bind("ratings.shop.svc.cluster.local", [any, local, ns, other]));
        Assert.Equal([other], DestinationRules.Bind("api.example.com", [any, local, other]));
        Assert.Equal([any], DestinationRules.Bind("example.com", [any, other]));
    }

    [Fact]
    public void Bind_ServiceNamespace_ThenRootNamespace_ThenTheFirstOtherNamespace()
    {
        var inOther = Rule("zeta", "reviews", Reviews);
        var inAlpha = Rule("alpha", "reviews", Reviews);
        var inRoot = Rule("istio-system", "everything", "*");
        var inOwn = Rule("bookinfo", "wide", "*.svc.cluster.local");

        Assert.Equal([inOwn], DestinationRules.Bind(Reviews, [inOther, inAlpha, inRoot, inOwn]));
        Assert.Equal([inRoot], DestinationRules.Bind(Reviews, [inOther, inAlpha, inRoot]));
        Assert.Equal([inAlpha], DestinationRules.Bind(Reviews, [inOther, inAlpha]));
    }

    [Fact]
    public void Bind_RuleWithAWorkloadSelector_IsNotApplied()
    {
        var selected = Rule("bookinfo", "reviews", Reviews) with { WorkloadSelector = new Dictionary<string, string> { ["app"] = "productpage" } };

        Assert.Empty(DestinationRules.Bind(Reviews, [selected]));
    }

    [Fact]
    public void Bind_SameHost_ListsEveryRuleOldestFirst_AndMergeKeepsTheOldestPolicyAndAddsNewSubsets()
    {
        var random = new TrafficPolicySpec(null, new LoadBalancerSpec("RANDOM", null, null, null, null, null), null, null, null, []);
        var leastRequest = random with { LoadBalancer = new LoadBalancerSpec("LEAST_REQUEST", null, null, null, null, null) };
        var newer = Rule("bookinfo", "a-newer", Reviews, "v1", "v3") with { TrafficPolicy = random, CreationTimestamp = DateTimeOffset.UnixEpoch.AddDays(2) };
        var older = Rule("bookinfo", "z-older", Reviews, "v1", "v2") with { TrafficPolicy = leastRequest, CreationTimestamp = DateTimeOffset.UnixEpoch.AddDays(1) };

        var bound = DestinationRules.Bind(Reviews, [newer, older]);
        var merged = DestinationRules.Merge(bound)!;

        Assert.Equal([older, newer], bound);
        Assert.Equal(["v1", "v2", "v3"], merged.Subsets.Select(s => s.Name));
        Assert.Equal("version-z-older", merged.Subsets[0].Labels.Keys.Single());
        Assert.Equal("LEAST_REQUEST", merged.TrafficPolicy!.LoadBalancer!.Simple);
        Assert.Equal(
            [("spec.trafficPolicy", "z-older"), ("spec.subsets[0].name", "z-older")],
            DestinationRules.Ignored(newer, bound).Select(i => (i.Field, i.Winner.Name)));
        Assert.Empty(DestinationRules.Ignored(older, bound));
    }

    [Fact]
    public void NamespaceOf_ReadsAServiceHostname_AndNothingElse()
    {
        Assert.Equal("bookinfo", DestinationRules.NamespaceOf(Reviews));
        Assert.Null(DestinationRules.NamespaceOf("api.example.com"));
    }

    private static DestinationRuleSpec Rule(string ns, string name, string host, params string[] subsets) =>
        new(ns, name, host, subsets.Select(s => new SubsetSpec(s, new Dictionary<string, string> { ["version-" + name] = s }, null)).ToList(), null, [], null);
}
