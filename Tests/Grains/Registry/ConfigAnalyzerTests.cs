using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains.Registry;

public sealed class ConfigAnalyzerTests
{
    private const string Reviews = "reviews.default.svc.cluster.local";
    private const string V1 = "reviews-v1.default.svc.cluster.local";

    [Fact]
    public void Analyze_ConsistentDeclaration_HasNoWarnings()
    {
        var config = new ClusterConfig(
            [Service("reviews", 9080), Service("reviews-v1", 9080)],
            [Slice("reviews-abc", "reviews", 9080, ("127.0.0.1", true, null))],
            [VirtualService(Reviews, Route([], null, (V1, null, 100)))],
            []);

        Assert.Empty(ConfigAnalyzer.Analyze(config));
    }

    [Fact]
    public void Analyze_VirtualServiceForAnUnknownHost_WarnsOnTheHost()
    {
        var config = new ClusterConfig([Service("reviews-v1", 9080)], [], [VirtualService("ghost.default.svc.cluster.local", Route([], null, (V1, null, 100)))], []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal(("VirtualService", "default", "vs-ghost", "spec.hosts[0]"), (warning.Kind, warning.Namespace, warning.Name, warning.Field));
        Assert.Contains("ghost.default.svc.cluster.local is not a Service of the mesh", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_RouteToAnUnknownDestination_WarnsThatCallsOnItFail()
    {
        var config = new ClusterConfig([Service("reviews", 9080)], [], [VirtualService(Reviews, Route([], null, ("reviews-v9.default.svc.cluster.local", null, 100)))], []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal("spec.http[0].route[0].destination.host", warning.Field);
        Assert.Contains("fail", warning.Message, StringComparison.Ordinal);
        Assert.Contains("no endpoints", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_SplitWithOneUnknownDestination_WarnsThatItIsLeftOut()
    {
        var config = new ClusterConfig(
            [Service("reviews", 9080), Service("reviews-v1", 9080)],
            [],
            [VirtualService(Reviews, Route([], null, (V1, null, 80), ("reviews-v3.default.svc.cluster.local", null, 20)))],
            []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal("spec.http[0].route[1].destination.host", warning.Field);
        Assert.Contains("left out", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_DestinationPortTheServiceLacks_WarnsOnThePort()
    {
        var config = new ClusterConfig([Service("reviews", 9080), Service("reviews-v1", 9080)], [], [VirtualService(Reviews, Route([], null, (V1, 1234, 100)))], []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal("spec.http[0].route[0].destination.port.number", warning.Field);
        Assert.Contains($"outbound|1234||{V1} does not exist", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_EndpointSliceWithoutItsService_Warns()
    {
        var config = new ClusterConfig([], [Slice("orphan-abc", "orphan", 7000, ("127.0.0.1", true, null))], [], []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal(("EndpointSlice", "orphan-abc"), (warning.Kind, warning.Name));
        Assert.Contains("Service default/orphan does not exist", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_TwoVirtualServicesForOneHost_WarnsOnTheLaterOne()
    {
        var a = new VirtualServiceSpec("default", "a", [Reviews], [Route([], null, (V1, null, 100))]);
        var b = new VirtualServiceSpec("default", "b", [Reviews], [Route([], null, (V1, null, 100))]);
        var config = new ClusterConfig([Service("reviews", 9080), Service("reviews-v1", 9080)], [], [a, b], []);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal(("b", "spec.hosts[0]"), (warning.Name, warning.Field));
        Assert.Contains("IST0109", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_RedirectAndSourceMatch_WarnWhatIsNotServed()
    {
        var redirect = new HttpRouteSpec(null, [], [], null, Redirect: new HttpRedirectSpec("/new", null, null, null, null, 301, null));
        var bySource = Route([new HttpMatchSpec(null, [], null, SourceNamespace: "front")], null, (V1, null, 100));
        var config = new ClusterConfig([Service("reviews", 9080), Service("reviews-v1", 9080)], [], [VirtualService(Reviews, bySource, redirect)], []);

        var warnings = ConfigAnalyzer.Analyze(config);

        Assert.Equal(["spec.http[0].match[0].sourceNamespace", "spec.http[1].redirect"], warnings.Select(w => w.Field));
        Assert.Contains("of that namespace only", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("proxyless gRPC clients do not get this route", warnings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_TcpAndTlsMatchesBySourceOrSourceSubnet_WarnWhatIsNotServed()
    {
        var to = new List<RouteDestinationSpec> { new(V1, null, 100) };
        var virtualService = new VirtualServiceSpec("default", "l4", [Reviews], [], Tcp:
        [
            new TcpRouteSpec([new L4MatchSpec([], null, null, null, null), new L4MatchSpec([], null, new Dictionary<string, string> { ["app"] = "a" }, null, null)], to),
            new TcpRouteSpec([new L4MatchSpec([], 9080, null, null, null, SourceSubnet: "10.0.0.0/8")], to),
        ], Tls: [new TlsRouteSpec([new TlsMatchSpec(["a.example.com"], [], null, null, null, null), new TlsMatchSpec(["b.example.com"], [], null, null, null, "front")], to)]);
        var config = new ClusterConfig([Service("reviews", 9080), Service("reviews-v1", 9080)], [], [virtualService], []);

        var warnings = ConfigAnalyzer.Analyze(config);

        Assert.Equal(["spec.tcp[0].match[1]", "spec.tcp[1].match[0].sourceSubnet", "spec.tls[0].match[1].sourceNamespace"], warnings.Select(w => w.Field));
        Assert.Contains("listeners are shared by the proxies of a scope", warnings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_RouteToASubsetNoRuleDefines_WarnsOnTheSubset_AndOneARuleDefinesIsFine()
    {
        var route = Route([], null, (Reviews, null, 50), (Reviews, null, 50));
        route = route with { Route = [route.Route[0] with { Subset = "v1" }, route.Route[1] with { Subset = "v3" }] };
        var rule = new DestinationRuleSpec("default", "reviews", Reviews, [new SubsetSpec("v1", new Dictionary<string, string> { ["version"] = "v1" }, null)], null, [], null);
        var config = new ClusterConfig([Service("reviews", 9080)], [], [VirtualService(Reviews, route)], [], [rule]);

        var warning = Assert.Single(ConfigAnalyzer.Analyze(config));

        Assert.Equal("spec.http[0].route[1].destination.subset", warning.Field);
        Assert.StartsWith($"subset v3 not found in any DestinationRule for {Reviews}", warning.Message, StringComparison.Ordinal);
        Assert.Contains($"outbound|9080|v3|{Reviews} has no endpoints", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_DestinationRules_ReportWhatIsNotApplied()
    {
        var own = new DestinationRuleSpec("default", "reviews", Reviews, [new SubsetSpec("v1", new Dictionary<string, string>(), null)], null, [], null);
        var later = own with { Name = "reviews-later", CreationTimestamp = DateTimeOffset.UnixEpoch };
        var elsewhere = own with { Namespace = "other" };
        var ghost = own with { Name = "ghost", Host = "ghost.default.svc.cluster.local" };
        var selected = own with { Name = "selected", WorkloadSelector = new Dictionary<string, string> { ["app"] = "x" } };
        var config = new ClusterConfig([Service("reviews", 9080)], [], [], [], [own, later, elsewhere, ghost, selected]);

        var warnings = ConfigAnalyzer.Analyze(config).Select(w => (w.Namespace, w.Name, w.Field)).ToList();

        Assert.Equal(
            [
                ("default", "ghost", "spec.host"),
                ("default", "reviews-later", "spec.subsets[0].name"),
                ("default", "selected", "spec.workloadSelector"),
                ("other", "reviews", "spec.host"),
            ],
            warnings);
    }
}
