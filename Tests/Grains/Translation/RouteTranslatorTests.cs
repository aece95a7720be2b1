using Envoy.Config.Route.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains.Translation;

public sealed class RouteTranslatorTests
{
    private const string Host = "reviews.default.svc.cluster.local";
    private static readonly Dictionary<string, IReadOnlyList<int>> s_noPorts = [];

    [Fact]
    public void Build_WithoutVirtualService_RoutesEverythingToTheServicesOwnCluster()
    {
        var config = RouteTranslator.Build(Host, 9080, [], s_noPorts);

        Assert.Equal($"{Host}:9080", config.Name);
        var route = Assert.Single(Assert.Single(config.VirtualHosts).Routes);
        Assert.Equal("/", route.Match.Prefix);
        Assert.Equal($"outbound|9080||{Host}", route.Route_.Cluster);
        Assert.Equal(0, route.Route_.Timeout.Seconds);
    }

    [Fact]
    public void Build_VirtualHostDomains_IncludeHostPortHostAndIstiosShortNames()
    {
        var domains = RouteTranslator.Build(Host, 9080, [], s_noPorts).VirtualHosts[0].Domains;

        Assert.Equal(
            [Host, $"{Host}:9080", "reviews.default.svc", "reviews.default.svc:9080", "reviews.default", "reviews.default:9080", "reviews", "reviews:9080"],
            domains);
    }

    [Fact]
    public void Build_WeightedDestinations_BecomeWeightedClusters()
    {
        var virtualService = VirtualService(Host, Route([], null, ("reviews-v1.default.svc.cluster.local", 9080, 80), ("reviews-v2.default.svc.cluster.local", 9080, 20)));

        var action = RouteTranslator.Build(Host, 9080, [virtualService], s_noPorts).VirtualHosts[0].Routes.Single().Route_;

        Assert.Equal(
            [("outbound|9080||reviews-v1.default.svc.cluster.local", 80u), ("outbound|9080||reviews-v2.default.svc.cluster.local", 20u)],
            action.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight!.Value)));
    }

    [Fact]
    public void Build_Matches_BecomeOneRoutePerMatch_WithPathAndHeaderMatchers()
    {
        var virtualService = VirtualService(Host, Route(
            [
                new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/svc/Get"), [], null),
                new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/svc/"), [new HeaderMatchSpec("x-canary", new StringMatchSpec(StringMatchKind.Exact, "true"))], null),
                new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Regex, "/svc/.*"), [new HeaderMatchSpec("x-user", new StringMatchSpec(StringMatchKind.Regex, "a.*"))], null),
            ],
            TimeSpan.FromSeconds(2),
            (Host, null, 100)));

        var routes = RouteTranslator.Build(Host, 9080, [virtualService], s_noPorts).VirtualHosts[0].Routes;

        Assert.Equal(3, routes.Count);
        Assert.Equal("/svc/Get", routes[0].Match.Path);
        Assert.Equal("/svc/", routes[1].Match.Prefix);
        Assert.Equal("true", routes[1].Match.Headers.Single().StringMatch.Exact);
        Assert.Equal("/svc/.*", routes[2].Match.SafeRegex.Regex);
        Assert.Equal("a.*", routes[2].Match.Headers.Single().StringMatch.SafeRegex.Regex);
        Assert.All(routes, r => Assert.Equal(2, r.Route_.Timeout.Seconds));
        Assert.All(routes, r => Assert.Equal(2, r.Route_.MaxStreamDuration.MaxStreamDuration_.Seconds));
    }

    [Fact]
    public void Build_OmittedDestinationPort_IsTheDestinationsOnlyPort_OrElseTheRoutedPort()
    {
        var single = "single.default.svc.cluster.local";
        var multi = "multi.default.svc.cluster.local";
        var ports = new Dictionary<string, IReadOnlyList<int>> { [single] = [7000], [multi] = [8000, 9080] };
        var virtualService = VirtualService(Host, Route([], null, (single, null, 50), (multi, null, 50)));

        var clusters = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes.Single().Route_.WeightedClusters.Clusters;

        Assert.Equal([$"outbound|7000||{single}", $"outbound|9080||{multi}"], clusters.Select(c => c.Name));
    }

    [Fact]
    public void Build_MatchOnAnotherPort_DoesNotApply()
    {
        var virtualService = VirtualService(Host,
            Route([new HttpMatchSpec(null, [], 9999)], null, ("other.default.svc.cluster.local", 1, 100)),
            Route([], null, (Host, 9080, 100)));

        var routes = RouteTranslator.Build(Host, 9080, [virtualService], s_noPorts).VirtualHosts[0].Routes;

        Assert.Equal($"outbound|9080||{Host}", Assert.Single(routes).Route_.Cluster);
    }

    [Fact]
    public void Build_SeveralVirtualServices_AreOrderedByNamespaceThenName()
    {
        var b = new VirtualServiceSpec("default", "b", [Host], [Route([], null, ("b.default.svc.cluster.local", 1, 100))]);
        var a = new VirtualServiceSpec("default", "a", [Host], [Route([], null, ("a.default.svc.cluster.local", 1, 100))]);

        var routes = RouteTranslator.Build(Host, 9080, [b, a], s_noPorts).VirtualHosts[0].Routes;

        Assert.Equal(["outbound|1||a.default.svc.cluster.local", "outbound|1||b.default.svc.cluster.local"], routes.Select(r => r.Route_.Cluster));
    }

    [Fact]
    public void Build_WeightedRouteWithAMissingDestination_LeavesItOutAndSendsTheRestToTheOthers()
    {
        var ports = new Dictionary<string, IReadOnlyList<int>> { ["reviews-v1.default.svc.cluster.local"] = [9080] };
        var virtualService = VirtualService(Host, Route([], null, ("reviews-v1.default.svc.cluster.local", 9080, 80), ("reviews-v3.default.svc.cluster.local", 9080, 20)));

        var action = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes.Single().Route_;

        Assert.Equal("outbound|9080||reviews-v1.default.svc.cluster.local", action.Cluster);
    }

    [Fact]
    public void Build_ThreeWaySplitWithOneMissing_KeepsTheOtherWeights()
    {
        var ports = new Dictionary<string, IReadOnlyList<int>>
        {
            ["a.default.svc.cluster.local"] = [9080],
            ["b.default.svc.cluster.local"] = [9080],
        };
        var virtualService = VirtualService(Host, Route([], null, ("a.default.svc.cluster.local", null, 60), ("gone.default.svc.cluster.local", null, 30), ("b.default.svc.cluster.local", null, 10)));

        var action = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes.Single().Route_;

        Assert.Equal(
            [("outbound|9080||a.default.svc.cluster.local", 60u), ("outbound|9080||b.default.svc.cluster.local", 10u)],
            action.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight!.Value)));
    }

    [Fact]
    public void Build_DestinationOnAPortItsServiceLacks_CountsAsMissing()
    {
        var ports = new Dictionary<string, IReadOnlyList<int>>
        {
            ["a.default.svc.cluster.local"] = [9080],
            ["b.default.svc.cluster.local"] = [9080],
        };
        var virtualService = VirtualService(Host, Route([], null, ("a.default.svc.cluster.local", 9080, 50), ("b.default.svc.cluster.local", 1234, 50)));

        var action = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes.Single().Route_;

        Assert.Equal("outbound|9080||a.default.svc.cluster.local", action.Cluster);
    }

    [Fact]
    public void Build_RouteWhoseEveryDestinationIsMissing_NamesTheDeclaredClusterAsIstioDoes()
    {
        var virtualService = VirtualService(Host,
            Route([new HttpMatchSpec(null, [new HeaderMatchSpec("x-canary", new StringMatchSpec(StringMatchKind.Exact, "true"))], null)], null, ("reviews-v9.default.svc.cluster.local", 9080, 100)),
            Route([], null, (Host, 9080, 100)));
        var ports = new Dictionary<string, IReadOnlyList<int>> { [Host] = [9080] };

        var routes = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes;

        // Calls matching the canary route fail; the route is not dropped, so they never fall through to the default.
        Assert.Equal(["outbound|9080||reviews-v9.default.svc.cluster.local", $"outbound|9080||{Host}"], routes.Select(r => r.Route_.Cluster));
    }

    [Fact]
    public void Build_KnownDestinationsAllWeighZero_KeepTheDeclaredSplit()
    {
        var ports = new Dictionary<string, IReadOnlyList<int>> { ["a.default.svc.cluster.local"] = [9080] };
        var virtualService = VirtualService(Host, Route([], null, ("gone.default.svc.cluster.local", 9080, 100), ("a.default.svc.cluster.local", 9080, 0)));

        var action = RouteTranslator.Build(Host, 9080, [virtualService], ports).VirtualHosts[0].Routes.Single().Route_;

        // A split whose weights add up to 0 is refused by clients; the declared one fails the calls instead.
        Assert.Equal([100u, 0u], action.WeightedClusters.Clusters.Select(c => c.Weight!.Value));
    }
}
