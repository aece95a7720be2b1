using Envoy.Config.Core.V3;
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

    private static VirtualHost Sidecar(params HttpRouteSpec[] http) =>
        RouteTranslator.BuildVirtualHost(Host, 9080, [new VirtualServiceSpec("default", "vs", [Host], http)], new Dictionary<string, IReadOnlyList<int>> { [Host] = [9080] }, RouteFlavor.Sidecar);

    private static HttpRouteSpec ToHost(HttpMatchSpec? match = null) =>
        new(null, match is null ? [] : [match], [new RouteDestinationSpec(Host, null, 100)], null);

    [Fact]
    public void BuildVirtualHost_IsNamedHostPort_WithIstiosDomains()
    {
        var virtualHost = Sidecar(ToHost());

        Assert.Equal($"{Host}:9080", virtualHost.Name);
        Assert.Contains("reviews:9080", virtualHost.Domains);
    }

    [Fact]
    public void Match_MethodAuthorityScheme_BecomePseudoHeaderMatchers_AfterTheSortedHeaders()
    {
        var route = Sidecar(ToHost(new HttpMatchSpec(
            new StringMatchSpec(StringMatchKind.Prefix, "/api"),
            [new HeaderMatchSpec("z-user", new StringMatchSpec(StringMatchKind.Exact, "jason"))],
            null,
            Scheme: new StringMatchSpec(StringMatchKind.Exact, "https"),
            Method: new StringMatchSpec(StringMatchKind.Exact, "GET"),
            Authority: new StringMatchSpec(StringMatchKind.Prefix, "reviews"),
            WithoutHeaders: [new HeaderMatchSpec("a-debug", new StringMatchSpec(StringMatchKind.Present, "")), new HeaderMatchSpec("b-env", new StringMatchSpec(StringMatchKind.Prefix, "dev"))],
            QueryParams: [new HeaderMatchSpec("v", new StringMatchSpec(StringMatchKind.Exact, "2")), new HeaderMatchSpec("w", new StringMatchSpec(StringMatchKind.Present, ""))],
            IgnoreUriCase: true,
            Name: "m",
            StatPrefix: "stats")) with
        { Name = "r" }).Routes.Single();

        Assert.Equal("r.m", route.Name);
        Assert.Equal("stats", route.StatPrefix);
        Assert.False(route.Match.CaseSensitive);
        Assert.Equal(["a-debug", "b-env", "z-user", ":method", ":authority", ":scheme"], route.Match.Headers.Select(h => h.Name));
        Assert.True(route.Match.Headers[0].PresentMatch && route.Match.Headers[0].InvertMatch && !route.Match.Headers[0].TreatMissingHeaderAsEmpty);
        Assert.True(route.Match.Headers[1].InvertMatch && route.Match.Headers[1].TreatMissingHeaderAsEmpty);
        Assert.Equal("GET", route.Match.Headers[3].StringMatch.Exact);
        Assert.Equal("reviews", route.Match.Headers[4].StringMatch.Prefix);
        Assert.Equal("2", route.Match.QueryParameters[0].StringMatch.Exact);
        Assert.True(route.Match.QueryParameters[1].PresentMatch);
    }

    [Fact]
    public void Match_ForAnotherGatewayOrBySource_IsLeftOut()
    {
        var routes = Sidecar(
            ToHost(new HttpMatchSpec(null, [], null, Gateways: ["istio-system/ingress"])),
            ToHost(new HttpMatchSpec(null, [], null, SourceLabels: new Dictionary<string, string> { ["app"] = "a" })),
            ToHost(new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/kept"), [], null, Gateways: ["mesh"]))).Routes;

        Assert.Equal("/kept", Assert.Single(routes).Match.Path);
    }

    [Fact]
    public void Subset_NamesTheSubsetCluster_AndHeadersPerDestinationGoOnTheClusterWeight()
    {
        var headers = new HeadersSpec(new HeaderOperationsSpec([new HeaderValueSpec("x-subset", "v2")], [], ["x-internal"]), null);
        var http = new HttpRouteSpec(null, [], [new RouteDestinationSpec(Host, 9080, 75, "v2", headers), new RouteDestinationSpec(Host, 9080, 25, "v1")], null);

        var clusters = Sidecar(http).Routes.Single().Route_.WeightedClusters.Clusters;

        Assert.Equal([$"outbound|9080|v2|{Host}", $"outbound|9080|v1|{Host}"], clusters.Select(c => c.Name));
        Assert.Equal("x-subset", clusters[0].RequestHeadersToAdd.Single().Header.Key);
        Assert.Equal(["x-internal"], clusters[0].RequestHeadersToRemove);
    }

    [Fact]
    public void Timeout_IsTheRouteTimeout_AndZeroWhenUnset_AsIstioDisablesEnvoysDefault()
    {
        var routes = Sidecar(ToHost(new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/a"), [], null)) with { Timeout = TimeSpan.FromSeconds(3) }, ToHost()).Routes;

        Assert.Equal(3, routes[0].Route_.Timeout.Seconds);
        Assert.Equal(TimeSpan.Zero, routes[1].Route_.Timeout.ToTimeSpan());
    }

    [Fact]
    public void Retries_Unset_AreIstiosDefaultPolicy()
    {
        var retry = Sidecar(ToHost()).Routes.Single().Route_.RetryPolicy;

        Assert.Equal(2u, retry.NumRetries);
        Assert.Equal("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", retry.RetryOn);
        Assert.Equal("envoy.retry_host_predicates.previous_hosts", retry.RetryHostPredicate.Single().Name);
        Assert.Equal(5, retry.HostSelectionRetryMaxAttempts);
        Assert.Equal([503u], retry.RetriableStatusCodes);
    }

    [Fact]
    public void Retries_WithRetryOnWithoutStatusCodes_RetryNoStatusCode_AndWithoutRetryOn_KeepTheDefault503()
    {
        var routes = Sidecar(
            ToHost(new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/a"), [], null)) with { Retries = new HttpRetrySpec(3, null, "connect-failure", null, null, null) },
            ToHost() with { Retries = new HttpRetrySpec(4, null, null, null, null, null) }).Routes;

        Assert.Equal("connect-failure", routes[0].Route_.RetryPolicy.RetryOn);
        Assert.Empty(routes[0].Route_.RetryPolicy.RetriableStatusCodes);
        Assert.Equal(4u, routes[1].Route_.RetryPolicy.NumRetries);
        Assert.Equal([503u], routes[1].Route_.RetryPolicy.RetriableStatusCodes);
    }

    [Fact]
    public void Retries_Set_AreTranslated_StatusCodesApart_AndZeroAttemptsMeansNone()
    {
        var routes = Sidecar(
            ToHost(new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/a"), [], null)) with { Retries = new HttpRetrySpec(3, TimeSpan.FromSeconds(2), "gateway-error,503", true, false, TimeSpan.FromMilliseconds(30)) },
            ToHost() with { Retries = new HttpRetrySpec(0, null, null, null, null, null) }).Routes;

        var retry = routes[0].Route_.RetryPolicy;
        Assert.Equal(3u, retry.NumRetries);
        Assert.Equal("gateway-error,retriable-status-codes", retry.RetryOn);
        Assert.Equal([503u], retry.RetriableStatusCodes);
        Assert.Equal(2, retry.PerTryTimeout.Seconds);
        Assert.Equal("envoy.retry_priorities.previous_priorities", retry.RetryPriority.Name);
        Assert.Empty(retry.RetryHostPredicate);
        Assert.Equal(30_000_000, retry.RetryBackOff.BaseInterval.Nanos);
        Assert.Null(routes[1].Route_.RetryPolicy);
    }

    [Fact]
    public void Redirect_BecomesARedirectAction()
    {
        var http = new HttpRouteSpec(null, [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/v1/getProductRatings"), [], null)], [], null,
            Redirect: new HttpRedirectSpec("/v1/bookRatings", "newratings.default.svc.cluster.local", null, "FROM_REQUEST_PORT", "https", 302, null));

        var redirect = Sidecar(http).Routes.Single().Redirect;

        Assert.Equal("/v1/bookRatings", redirect.PathRedirect);
        Assert.Equal("newratings.default.svc.cluster.local", redirect.HostRedirect);
        Assert.Equal("https", redirect.SchemeRedirect);
        Assert.Equal(9080u, redirect.PortRedirect);
        Assert.Equal(RedirectAction.Types.RedirectResponseCode.Found, redirect.ResponseCode);
    }

    [Fact]
    public void DirectResponse_BecomesADirectResponseAction()
    {
        var http = new HttpRouteSpec(null, [], [], null, DirectResponse: new HttpDirectResponseSpec(503, "unavailable", null));

        var response = Sidecar(http).Routes.Single().DirectResponse;

        Assert.Equal((503u, "unavailable"), (response.Status, response.Body.InlineString));
    }

    [Fact]
    public void Proxyless_LeavesOutRedirectsAndDirectResponses_WhichGrpcClientsReject()
    {
        var virtualService = new VirtualServiceSpec("default", "vs", [Host],
        [
            new HttpRouteSpec(null, [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/old"), [], null)], [], null, Redirect: new HttpRedirectSpec("/new", null, null, null, null, 301, null)),
            new HttpRouteSpec(null, [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/down"), [], null)], [], null, DirectResponse: new HttpDirectResponseSpec(503, null, null)),
            ToHost(),
        ]);

        var routes = RouteTranslator.BuildVirtualHost(Host, 9080, [virtualService], s_noPorts, RouteFlavor.Proxyless).Routes;

        Assert.All(routes, r => Assert.Equal(Envoy.Config.Route.V3.Route.ActionOneofCase.Route_, r.ActionCase));
        Assert.Equal($"outbound|9080||{Host}", Assert.Single(routes).Route_.Cluster);
    }

    [Fact]
    public void Rewrite_SetsPrefixOrRegexRewriteAndTheHost()
    {
        var routes = Sidecar(
            ToHost(new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/wpcatalog"), [], null)) with { Rewrite = new HttpRewriteSpec("/newcatalog", "catalog.internal", null, null) },
            ToHost() with { Rewrite = new HttpRewriteSpec(null, null, "^/service/([^/]+)(/.*)$", "\\2/instance/\\1") }).Routes;

        Assert.Equal(("/newcatalog", "catalog.internal"), (routes[0].Route_.PrefixRewrite, routes[0].Route_.HostRewriteLiteral));
        Assert.Equal("^/service/([^/]+)(/.*)$", routes[1].Route_.RegexRewrite.Pattern.Regex);
    }

    [Fact]
    public void Mirrors_BecomeRequestMirrorPolicies_InMillionths_AndAMissingMirrorIsLeftOut()
    {
        var routes = Sidecar(ToHost() with { Mirrors = [new HttpMirrorSpec(Host, null, "v2", 12.5), new HttpMirrorSpec("gone.default.svc.cluster.local", null, null, 100)] }).Routes;

        var mirror = routes.Single().Route_.RequestMirrorPolicies.Single();
        Assert.Equal($"outbound|9080|v2|{Host}", mirror.Cluster);
        Assert.Equal(125_000u, mirror.RuntimeFraction.DefaultValue.Numerator);
        Assert.False(mirror.TraceSampled);
    }

    [Fact]
    public void Fault_IsTypedPerFilterConfigOfTheFaultFilter()
    {
        var fault = new HttpFaultSpec(new FaultDelaySpec(TimeSpan.FromSeconds(5), 10), new FaultAbortSpec(null, 14, 0.1));

        var config = Sidecar(ToHost() with { Fault = fault }).Routes.Single().TypedPerFilterConfig["envoy.filters.http.fault"];

        var translated = config.Unpack<Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault>();
        Assert.Equal(5, translated.Delay.FixedDelay.Seconds);
        Assert.Equal(100_000u, translated.Delay.Percentage.Numerator);
        Assert.Equal(14u, translated.Abort.GrpcStatus);
        Assert.Equal(1_000u, translated.Abort.Percentage.Numerator);
    }

    [Fact]
    public void Cors_IsTypedPerFilterConfigOfTheCorsFilter_ForSidecarsOnly()
    {
        var cors = new CorsPolicySpec([new StringMatchSpec(StringMatchKind.Exact, "https://example.com")], ["GET", "POST"], ["x-a"], ["x-b"], TimeSpan.FromDays(1), true, "IGNORE");
        var http = ToHost() with { CorsPolicy = cors };

        var policy = Sidecar(http).Routes.Single().TypedPerFilterConfig["envoy.filters.http.cors"].Unpack<Envoy.Extensions.Filters.Http.Cors.V3.CorsPolicy>();
        var proxyless = RouteTranslator.BuildVirtualHost(Host, 9080, [new VirtualServiceSpec("default", "vs", [Host], [http])], s_noPorts, RouteFlavor.Proxyless);

        Assert.Equal(("GET,POST", "x-a", "x-b", "86400"), (policy.AllowMethods, policy.AllowHeaders, policy.ExposeHeaders, policy.MaxAge));
        Assert.Equal("https://example.com", policy.AllowOriginStringMatch.Single().Exact);
        Assert.True(policy.AllowCredentials);
        Assert.False(policy.ForwardNotMatchingPreflights);
        Assert.Empty(proxyless.Routes.Single().TypedPerFilterConfig);
    }

    [Fact]
    public void Headers_SetOverwritesAddAppends_AndAnAuthoritySetBecomesAHostRewrite()
    {
        var headers = new HeadersSpec(
            new HeaderOperationsSpec([new HeaderValueSpec(":authority", "reviews.internal"), new HeaderValueSpec("x-set", "1")], [new HeaderValueSpec("x-add", "2")], ["x-gone"]),
            new HeaderOperationsSpec([], [new HeaderValueSpec("x-served-by", "mesh")], ["server"]));

        var route = Sidecar(ToHost() with { Headers = headers }).Routes.Single();

        Assert.Equal([("x-set", HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd), ("x-add", HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd)],
            route.RequestHeadersToAdd.Select(h => (h.Header.Key, h.AppendAction)));
        Assert.Equal(["x-gone"], route.RequestHeadersToRemove);
        Assert.Equal("x-served-by", route.ResponseHeadersToAdd.Single().Header.Key);
        Assert.Equal(["server"], route.ResponseHeadersToRemove);
        Assert.Equal("reviews.internal", route.Route_.HostRewriteLiteral);
    }

    [Fact]
    public void Delegate_IsReplacedByTheDelegatesRoutes_NarrowedByTheRootsMatch()
    {
        var root = new VirtualServiceSpec("default", "root", [Host],
        [
            new HttpRouteSpec("root", [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/productpage"), [], null)], [], TimeSpan.FromSeconds(4), Delegate: new DelegateSpec("leaf", "other")),
        ]);
        var leaf = new VirtualServiceSpec("other", "leaf", [],
        [
            new HttpRouteSpec("v1", [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/productpage/v1"), [], null)], [new RouteDestinationSpec("v1.other.svc.cluster.local", 9080, 100)], null),
            new HttpRouteSpec("elsewhere", [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/reviews"), [], null)], [new RouteDestinationSpec("v2.other.svc.cluster.local", 9080, 100)], null),
        ]);

        var routes = RouteTranslator.BuildVirtualHost(Host, 9080, [root, leaf], s_noPorts, RouteFlavor.Sidecar).Routes;

        var route = Assert.Single(routes);
        Assert.Equal("root-v1", route.Name);
        Assert.Equal("/productpage/v1", route.Match.Prefix);
        Assert.Equal(4, route.Route_.Timeout.Seconds);
        Assert.Equal("outbound|9080||v1.other.svc.cluster.local", route.Route_.Cluster);
    }

    [Fact]
    public void GatewayOnlyVirtualService_IsNotAppliedToTheMesh()
    {
        var gatewayOnly = new VirtualServiceSpec("default", "gw", [Host], [Route([], null, ("other.default.svc.cluster.local", 1, 100))], Gateways: ["istio-system/ingress"]);

        var route = RouteTranslator.BuildVirtualHost(Host, 9080, [gatewayOnly], s_noPorts, RouteFlavor.Sidecar).Routes.Single();

        Assert.Equal("default", route.Name);
        Assert.Equal($"outbound|9080||{Host}", route.Route_.Cluster);
    }
}
