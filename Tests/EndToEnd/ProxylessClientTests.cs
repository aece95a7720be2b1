using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// A real proxyless gRPC client (@grpc/grpc-js-xds) dials <c>xds:///host:port</c> through
/// the real control plane and calls real gRPC backends, all on 127.0.0.1.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ProxylessClientTests(ITestOutputHelper output)
{
    private const string EchoHost = "echo.default.svc.cluster.local";
    private const string ReviewsTarget = "xds:///reviews.default.svc.cluster.local:9080";
    private const string RouteType = "envoy.config.route.v3.RouteConfiguration";

    [Fact]
    public async Task Calls_ReachExactlyTheReadyEndpoints()
    {
        await using var backends = await Backends.StartAsync("b1", "b2", "b3");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["b1", "b2"], notReady: ["b3"]),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "ready");

        var tally = await client.AskAsync(new { op = "call", n = 60 }, TimeSpan.FromSeconds(60));

        Assert.Equal(60, (int)tally["ok"]!);
        Assert.Equal(0, (int)tally["failed"]!);
        var by = tally["by"]!.AsObject();
        Assert.Equal(["b1", "b2"], by.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.All(by, p => Assert.True((int)p.Value! >= 20, $"round robin over two endpoints gives each a fair share: {tally.ToJsonString()}"));
    }

    [Fact]
    public async Task EndpointSliceChange_MovesTrafficOnTheSameStream_WithNoFailedCall()
    {
        await using var backends = await Backends.StartAsync("b1", "b2", "b3");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["b1", "b2"], notReady: ["b3"]),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "moves");
        var warmup = await client.AskAsync(new { op = "call", n = 10 }, TimeSpan.FromSeconds(60));
        Assert.Equal(0, (int)warmup["failed"]!);
        var streamBefore = Assert.Single(server.Streams.Streams).StreamId;
        var endpointsBefore = await EdsVersionAsync(client);

        Assert.True((bool)(await client.AskAsync(new { op = "loop-start" }))["started"]!);
        await server.WriteConfigAsync("echo.yaml", EchoMesh(backends, ready: ["b2", "b3"], notReady: ["b1"]));
        await Eventually.TrueAsync(async () => await EdsVersionAsync(client) != endpointsBefore, TimeSpan.FromSeconds(10), "the client receives the new endpoints");
        await Task.Delay(500); // Keep calling on the new endpoints for a while before stopping the loop.
        var during = await client.AskAsync(new { op = "loop-stop" }, TimeSpan.FromSeconds(30));
        var after = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));

        output.WriteLine($"during: {during.ToJsonString()}\nafter: {after.ToJsonString()}");
        Assert.Equal(0, (int)during["failed"]!);
        Assert.True((int)during["ok"]! > 0);
        Assert.Equal(0, (int)after["failed"]!);
        Assert.Equal(["b2", "b3"], after["by"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(streamBefore, Assert.Single(server.Streams.Streams).StreamId);
    }

    [Fact]
    public async Task LocalityFailover_CallsStayInTheClientsZone_ThenFailOverToTheSameRegion_WithNoFailedCall()
    {
        await using var backends = await Backends.StartAsync("b1", "b2");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = ZonalEchoMesh(backends, b1Ready: true),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "zonal", locality: ("r1", "a"));
        var local = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        var endpointsBefore = await EdsVersionAsync(client);

        Assert.True((bool)(await client.AskAsync(new { op = "loop-start" }))["started"]!);
        await server.WriteConfigAsync("echo.yaml", ZonalEchoMesh(backends, b1Ready: false));
        await Eventually.TrueAsync(async () => await EdsVersionAsync(client) != endpointsBefore, TimeSpan.FromSeconds(10), "the client receives the new endpoints");
        await Task.Delay(500); // Keep calling on the failed-over endpoints for a while before stopping the loop.
        var during = await client.AskAsync(new { op = "loop-stop" }, TimeSpan.FromSeconds(30));
        var after = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));

        output.WriteLine($"local: {local.ToJsonString()}\nduring: {during.ToJsonString()}\nafter: {after.ToJsonString()}");
        Assert.Equal(0, (int)local["failed"]!);
        Assert.Equal(40, (int)(local["by"]!["b1"] ?? 0));
        Assert.Equal(0, (int)during["failed"]!);
        Assert.True((int)during["ok"]! > 0);
        Assert.True((int)(during["by"]!["b2"] ?? 0) > 0, "calls reach b2 during the change");
        Assert.Equal(0, (int)after["failed"]!);
        Assert.Equal(40, (int)(after["by"]!["b2"] ?? 0));
    }

    [Fact]
    public async Task VirtualServiceSplit_80_20_LandsWithinABinomialBoundOver1000Calls()
    {
        await using var backends = await Backends.StartAsync("v1", "v2");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["reviews.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("reviews", 9080),
                MeshYaml.Service("reviews-v1", 9080),
                MeshYaml.Slice("reviews-v1-a", "reviews-v1", backends.Port("v1"), [("127.0.0.1", true)]),
                MeshYaml.Service("reviews-v2", 9080),
                MeshYaml.Slice("reviews-v2-a", "reviews-v2", backends.Port("v2"), [("127.0.0.1", true)]),
                MeshYaml.WeightedSplit("reviews", "reviews", 9080, ("reviews-v1", 80), ("reviews-v2", 20))),
        });
        await using var client = await StartClientAsync(server, "xds:///reviews.default.svc.cluster.local:9080", "split");

        const int Calls = 1000;

        var tally = await client.AskAsync(new { op = "call", n = Calls }, TimeSpan.FromSeconds(120));

        output.WriteLine(tally.ToJsonString());
        Assert.Equal(0, (int)tally["failed"]!);
        var (low, high) = BinomialBounds(Calls, 0.8);
        Assert.InRange((int)(tally["by"]!["v1"] ?? 0), low, high);
        Assert.Equal(Calls, (int)(tally["by"]!["v1"] ?? 0) + (int)(tally["by"]!["v2"] ?? 0));
    }

    [Fact]
    public async Task SubsetsByPodLabel_Split80_20_LandsWithinABinomialBound_AndNeverReachesAnUnselectedPod()
    {
        // One Service, three pods (v1, v2, v3 by label); the DestinationRule's subsets select v1
        // and v2 only, so the ready v3 pod must never be reached though it is the Service's endpoint.
        await using var backends = await Backends.StartAsync("v1", "v2", "v3");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["reviews.yaml"] = ReviewsByPod(backends, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                    - name: split
                      route:
                        - {destination: {host: reviews, subset: v1}, weight: 80}
                        - {destination: {host: reviews, subset: v2}, weight: 20}
                """),
        });
        await using var client = await StartClientAsync(server, ReviewsTarget, "subsets");
        const int Calls = 1000;

        var tally = await client.AskAsync(new { op = "call", n = Calls }, TimeSpan.FromSeconds(120));
        var configs = await AssertEveryResourceAckedAsync(client);

        var (low, high) = BinomialBounds(Calls, 0.8);

        output.WriteLine($"{tally.ToJsonString()} v1 within [{low}, {high}]\n{configs.ToJsonString()}");
        Assert.Equal(Calls, (int)tally["ok"]!);
        Assert.Equal(["v1", "v2"], tally["by"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.InRange((int)tally["by"]!["v1"]!, low, high);
        Assert.Equal(
            ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local"],
            Names(configs, "envoy.config.cluster.v3.Cluster"));
    }

    [Fact]
    public async Task HeaderMatch_SendsEveryCallOfJasonToV2_AndEveryOtherCallToV1()
    {
        await using var backends = await Backends.StartAsync("v1", "v2", "v3");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["reviews.yaml"] = ReviewsByPod(backends, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                    - name: jason
                      match: [{headers: {end-user: {exact: jason}}}]
                      route: [{destination: {host: reviews, subset: v2}}]
                    - name: others
                      route: [{destination: {host: reviews, subset: v1}}]
                """),
        });
        await using var client = await StartClientAsync(server, ReviewsTarget, "headers");

        var jason = await client.AskAsync(new { op = "call", n = 50, metadata = new Dictionary<string, string> { ["end-user"] = "jason" } }, TimeSpan.FromSeconds(60));
        var someoneElse = await client.AskAsync(new { op = "call", n = 50, metadata = new Dictionary<string, string> { ["end-user"] = "mike" } }, TimeSpan.FromSeconds(60));
        var anonymous = await client.AskAsync(new { op = "call", n = 50 }, TimeSpan.FromSeconds(60));
        var configs = await AssertEveryResourceAckedAsync(client);

        output.WriteLine($"jason: {jason.ToJsonString()}\nmike: {someoneElse.ToJsonString()}\nanonymous: {anonymous.ToJsonString()}");
        Assert.Equal(50, (int)(jason["by"]!["v2"] ?? 0));
        Assert.Equal(50, (int)(someoneElse["by"]!["v1"] ?? 0));
        Assert.Equal(50, (int)(anonymous["by"]!["v1"] ?? 0));
        Assert.All(new[] { jason, someoneElse, anonymous }, t => Assert.Equal(50, (int)t["ok"]!));
        Assert.Equal(
            ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local"],
            Names(configs, "envoy.config.cluster.v3.Cluster"));
    }

    [Fact]
    public async Task Retries_OnUnavailable_LandEveryCallOnTheHealthyBackend_AndWithNoRetriesAShareFails()
    {
        // What @grpc/grpc-js-xds 1.14 takes of a route's retry_policy (gRFC A44): the gRPC status
        // names in retry_on (cancelled, deadline-exceeded, internal, resource-exhausted,
        // unavailable; Envoy's other words are ignored), num_retries + 1 attempts (at most 5), and
        // retry_back_off; it NACKs num_retries 0 and ignores host predicates and per-try timeouts.
        // A retry is a new pick of the cluster's round robin, so after the bad backend comes the
        // good one. attempts: 0 sends no retry policy at all, as Istio does.
        await using var backends = await Backends.StartAsync("good", "bad:unavailable");
        static string Retries(string? retries) => $$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo, namespace: default}
            spec:
              hosts: [echo]
              http:
                - name: echo
                  route: [{destination: {host: echo}}]
            {{{(retries is null ? string.Empty : "      retries: " + retries)}}}
            """;
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["good", "bad"], notReady: []),
            ["vs.yaml"] = Retries("{attempts: 3, retryOn: unavailable}"),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "retries");

        var retried = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        await AssertEveryResourceAckedAsync(client);
        var routesBefore = await VersionAsync(client, RouteType);
        await server.WriteConfigAsync("vs.yaml", Retries("{attempts: 0}"));
        await Eventually.TrueAsync(async () => await VersionAsync(client, RouteType) != routesBefore, TimeSpan.FromSeconds(10), "the client receives the routes without retries");
        var unretried = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        await AssertEveryResourceAckedAsync(client);
        routesBefore = await VersionAsync(client, RouteType);
        await server.WriteConfigAsync("vs.yaml", Retries(null));
        await Eventually.TrueAsync(async () => await VersionAsync(client, RouteType) != routesBefore, TimeSpan.FromSeconds(10), "the client receives the routes with Istio's default retries");
        var defaulted = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        await AssertEveryResourceAckedAsync(client);

        output.WriteLine($"attempts 3: {retried.ToJsonString()}\nattempts 0: {unretried.ToJsonString()}\ndefault: {defaulted.ToJsonString()}");
        Assert.Equal(40, (int)retried["ok"]!);
        Assert.Equal(40, (int)retried["by"]!["good"]!);
        Assert.True((int)retried["retried"]! > 0, "some calls succeeded on a retry");

        // Round robin sends every other call to the bad backend; were picks random, all 40
        // avoiding it would happen once in 2^40 runs.
        Assert.True((int)unretried["failed"]! > 0, "without retries the calls picked onto the bad backend fail");
        Assert.True((int)unretried["ok"]! > 0);
        Assert.Equal(0, (int)unretried["retried"]!);
        Assert.All(unretried["errors"]!.AsArray(), e => Assert.Equal("14: bad answers UNAVAILABLE", (string)e!));

        // Istio's default (2 retries on connect-failure, refused-stream, unavailable, cancelled).
        Assert.Equal(40, (int)defaulted["ok"]!);
        Assert.True((int)defaulted["retried"]! > 0);
    }

    [Fact]
    public async Task EveryResource_IsAckedAccordingToTheClientsCsds_AndToSyncz()
    {
        await using var backends = await Backends.StartAsync("b1");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["b1"], notReady: []),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "csds");
        Assert.Equal(0, (int)(await client.AskAsync(new { op = "call", n = 5 }, TimeSpan.FromSeconds(60)))["failed"]!);

        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();

        output.WriteLine(configs.ToJsonString());
        Assert.Equal(
            ["envoy.config.cluster.v3.Cluster", "envoy.config.endpoint.v3.ClusterLoadAssignment", "envoy.config.listener.v3.Listener", "envoy.config.route.v3.RouteConfiguration"],
            configs.Select(c => (string)c!["type_url"]!).Order(StringComparer.Ordinal));
        Assert.All(configs, c => Assert.Equal("ACKED", (string)c!["client_status"]!));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        await Eventually.TrueAsync(async () =>
        {
            var syncz = await http.GetFromJsonAsync<JsonArray>("/debug/syncz");
            var proxy = syncz!.SingleOrDefault(p => ((string)p!["nodeId"]!).Contains("csds", StringComparison.Ordinal));
            return proxy is not null && proxy["types"]!.AsArray().Count == 4 && proxy["types"]!.AsArray().All(t => (string)t!["status"]! == "ACKED")
                && (string?)proxy["node"]?["identity"]?["kind"] == "Proxyless"
                && proxy["types"]!.AsArray().Any(t => t!["subscribed"]!.AsArray().Select(n => (string)n!).Contains($"{EchoHost}:7000"));
        }, TimeSpan.FromSeconds(10), "/debug/syncz shows all four types ACKED and the listener subscription");
    }

    [Fact]
    public async Task RouteToAMissingDestination_FailsOnlyThatRoute_ASplitLeavesTheMissingHalfOut_AndDebugConfigWarns()
    {
        // Decided for issue 6: a route whose every destination is unknown names its cluster as
        // Istio does (calls on it fail, nothing falls through); a split loses only its unknown part.
        await using var backends = await Backends.StartAsync("v1");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["reviews.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("reviews", 9080),
                MeshYaml.Service("reviews-v1", 9080),
                MeshYaml.Slice("reviews-v1-a", "reviews-v1", backends.Port("v1"), [("127.0.0.1", true)]),
                """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                    - name: canary
                      match: [{headers: {x-canary: {exact: "true"}}}]
                      route: [{destination: {host: reviews-v9}}]
                    - name: split
                      route:
                        - {destination: {host: reviews-v1}, weight: 50}
                        - {destination: {host: reviews-v3}, weight: 50}
                """),
        });
        await using var client = await StartClientAsync(server, "xds:///reviews.default.svc.cluster.local:9080", "missing");

        var plain = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        var canary = await client.AskAsync(new { op = "call", n = 5, metadata = new Dictionary<string, string> { ["x-canary"] = "true" } }, TimeSpan.FromSeconds(60));
        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        var warnings = (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]![0]!["warnings"]!.AsArray();

        output.WriteLine($"plain: {plain.ToJsonString()}\ncanary: {canary.ToJsonString()}\nwarnings: {warnings.ToJsonString()}");
        Assert.Equal(40, (int)plain["ok"]!);
        Assert.Equal(40, (int)plain["by"]!["v1"]!);
        Assert.Equal(5, (int)canary["failed"]!);
        Assert.All(canary["errors"]!.AsArray(), e => Assert.StartsWith("14:", (string)e!, StringComparison.Ordinal));
        Assert.All(configs, c => Assert.NotEqual("NACKED", (string)c!["client_status"]!));
        Assert.Equal(
            ["spec.http[0].route[0].destination.host", "spec.http[1].route[1].destination.host"],
            warnings.Select(w => (string)w!["field"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DestinationRuleTrafficPolicies_AreAckedByTheRealClient_AndCallsKeepWorking()
    {
        // What @grpc/grpc-js-xds 1.14 validates in a Cluster: lb_policy ROUND_ROBIN or RING_HASH
        // only (anything else rejects the Cluster), ring sizes, outlier-detection ranges. LEAST_REQUEST
        // is served as ROUND_ROBIN; circuit breakers, outlier detection, protocol options pass.
        await using var backends = await Backends.StartAsync("b1", "b2");
        static string Rule(string loadBalancer) => $$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: echo, namespace: default}
            spec:
              host: echo
              trafficPolicy:
                loadBalancer: {{loadBalancer}}
                connectionPool:
                  tcp: {maxConnections: 100, connectTimeout: 2s}
                  http: {http2MaxRequests: 1000, maxRequestsPerConnection: 10, idleTimeout: 60s, h2UpgradePolicy: UPGRADE}
                outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 10}
              subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    loadBalancer: {simple: RANDOM}
            """;
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["b1", "b2"], notReady: []),
            ["rule.yaml"] = Rule("{simple: LEAST_REQUEST}"),
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "policies");

        var tally = await client.AskAsync(new { op = "call", n = 40 }, TimeSpan.FromSeconds(60));
        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();
        var clusterVersion = ClusterVersion(configs);

        output.WriteLine($"{tally.ToJsonString()}\n{configs.ToJsonString()}");
        Assert.Equal(40, (int)tally["ok"]!);
        Assert.Equal(["b1", "b2"], tally["by"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.All(configs, c => Assert.Equal("ACKED", (string)c!["client_status"]!));

        await server.WriteConfigAsync("rule.yaml", Rule("{consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 2048}}}"));
        await Eventually.TrueAsync(async () => ClusterVersion((await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray()) != clusterVersion,
            TimeSpan.FromSeconds(15), "the client holds the ring-hash cluster");
        var hashed = await client.AskAsync(new { op = "call", n = 20 }, TimeSpan.FromSeconds(60));
        configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();

        output.WriteLine($"{hashed.ToJsonString()}\n{configs.ToJsonString()}");
        Assert.Equal(20, (int)hashed["ok"]!);
        Assert.All(configs, c => Assert.Equal("ACKED", (string)c!["client_status"]!));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        var warnings = (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]![0]!["warnings"]!.AsArray();
        Assert.Contains(warnings, w => (string)w!["field"]! == "spec.subsets[0].trafficPolicy.loadBalancer");

        static string? ClusterVersion(JsonArray configs) =>
            configs.Where(c => (string)c!["type_url"]! == "envoy.config.cluster.v3.Cluster").Select(c => (string?)c!["version_info"]).SingleOrDefault();
    }

    [Fact]
    public async Task FaultAbortOnARoute_FailsEveryCallOnItWithThatStatus_AHalfAbortFailsAShareWithinABinomialBound_AnUnsetShareAbortsNone_LeavesTheOtherRouteAlone_AndIsAcked()
    {
        // The api_listener carries the fault filter before the router, as Istio's proxyless
        // listeners do, so the route's typed_per_filter_config fault applies in the client (gRFC A33).
        await using var backends = await Backends.StartAsync("b1");
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = EchoMesh(backends, ready: ["b1"], notReady: []),
            ["vs.yaml"] = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: echo, namespace: default}
                spec:
                  hosts: [echo]
                  http:
                    - name: faulty
                      match: [{headers: {x-fault: {exact: "true"}}}]
                      fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 100}}}
                      route: [{destination: {host: echo}}]
                    - name: half
                      match: [{headers: {x-fault: {exact: half}}}]
                      fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 50}}}
                      route: [{destination: {host: echo}}]
                    - name: unset
                      match: [{headers: {x-fault: {exact: unset}}}]
                      fault: {abort: {grpcStatus: PERMISSION_DENIED}}
                      route: [{destination: {host: echo}}]
                    - name: healthy
                      route: [{destination: {host: echo}}]
                """,
        });
        await using var client = await StartClientAsync(server, $"xds:///{EchoHost}:7000", "fault");

        var plain = await client.AskAsync(new { op = "call", n = 20 }, TimeSpan.FromSeconds(60));
        var faulted = await client.AskAsync(new { op = "call", n = 20, metadata = new Dictionary<string, string> { ["x-fault"] = "true" } }, TimeSpan.FromSeconds(60));
        var half = await client.AskAsync(new { op = "call", n = 200, metadata = new Dictionary<string, string> { ["x-fault"] = "half" } }, TimeSpan.FromSeconds(60));
        var unset = await client.AskAsync(new { op = "call", n = 20, metadata = new Dictionary<string, string> { ["x-fault"] = "unset" } }, TimeSpan.FromSeconds(60));
        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();

        // An abort without a percentage aborts nothing (Istio's docs), and the route
        // configuration holding it is accepted: it is sent as 0 %, which the client requires.
        Assert.Equal(20, (int)unset["ok"]!);

        output.WriteLine($"plain: {plain.ToJsonString()}\nfaulted: {faulted.ToJsonString()}\nhalf: {half.ToJsonString()}\n{configs.ToJsonString()}");
        Assert.Equal(20, (int)plain["ok"]!);
        Assert.Equal(20, (int)plain["by"]!["b1"]!);
        Assert.Equal(0, (int)faulted["ok"]!);
        Assert.Equal(20, (int)faulted["failed"]!);
        Assert.All(faulted["errors"]!.AsArray(), e => Assert.Equal("7: Fault injected", (string)e!));

        // The client draws each call's abort on its own (gRFC A33), so the aborted count is
        // Binomial(200, 0.5): [66, 134] holds it but once in a million runs.
        var (low, high) = BinomialBounds(200, 0.5);
        Assert.InRange((int)half["failed"]!, low, high);
        Assert.Equal(200 - (int)half["failed"]!, (int)(half["by"]!["b1"] ?? 0));
        Assert.All(half["errors"]!.AsArray(), e => Assert.Equal("7: Fault injected", (string)e!));
        Assert.Equal(4, configs.Count);
        Assert.All(configs, c => Assert.Equal("ACKED", (string)c!["client_status"]!));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        await Eventually.TrueAsync(async () =>
        {
            var syncz = await http.GetFromJsonAsync<JsonArray>("/debug/syncz");
            var proxy = syncz!.SingleOrDefault(p => ((string)p!["nodeId"]!).Contains("fault", StringComparison.Ordinal));
            return proxy is not null && proxy["types"]!.AsArray().Count == 4 && proxy["types"]!.AsArray().All(t => (string)t!["status"]! == "ACKED");
        }, TimeSpan.FromSeconds(10), "/debug/syncz shows all four types ACKED");
    }

    private static Task<string?> EdsVersionAsync(NodeProcess client) => VersionAsync(client, "envoy.config.endpoint.v3.ClusterLoadAssignment");

    /// <summary>The version of the one resource of <paramref name="typeUrl"/> the client holds, by its CSDS.</summary>
    private static async Task<string?> VersionAsync(NodeProcess client, string typeUrl)
    {
        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();
        return configs.Where(c => (string)c!["type_url"]! == typeUrl).Select(c => (string?)c!["version_info"]).SingleOrDefault();
    }

    /// <summary>
    /// The client's CSDS view, asserted to hold all four resource types with every resource
    /// ACKED: a resource the client refused would show NACKED, one it lacks would leave a type out.
    /// </summary>
    private static async Task<JsonArray> AssertEveryResourceAckedAsync(NodeProcess client)
    {
        var configs = (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray();
        Assert.Equal(
            ["envoy.config.cluster.v3.Cluster", "envoy.config.endpoint.v3.ClusterLoadAssignment", "envoy.config.listener.v3.Listener", RouteType],
            configs.Select(c => (string)c!["type_url"]!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(configs, c => Assert.True((string)c!["client_status"]! == "ACKED", configs.ToJsonString()));
        return configs;
    }

    private static IEnumerable<string> Names(JsonArray configs, string typeUrl) =>
        configs.Where(c => (string)c!["type_url"]! == typeUrl).Select(c => (string)c!["name"]!).Order(StringComparer.Ordinal);

    /// <summary>
    /// The narrowest interval <c>[m - d, m + d]</c> around <c>m = round(n·p)</c> that holds a
    /// Binomial(n, p) count with probability at least 1 - 10⁻⁶, summed exactly from the
    /// distribution: a count asserted in it fails a correct split less than once in a million
    /// runs, while a split off by a few points falls outside at the sizes used here (for
    /// n = 1000, p = 0.8 it is [738, 862], 80 ± 6.2 points).
    /// </summary>
    private static (int Low, int High) BinomialBounds(int n, double p)
    {
        const double FalseFailure = 1e-6;
        var mean = (int)Math.Round(n * p);
        var probability = new double[n + 1];
        var logChoose = 0.0;
        for (var k = 0; k <= n; k++)
        {
            probability[k] = Math.Exp(logChoose + (k * Math.Log(p)) + ((n - k) * Math.Log(1 - p)));
            logChoose += k < n ? Math.Log(n - k) - Math.Log(k + 1) : 0;
        }

        for (var d = 0; ; d++)
        {
            var outside = probability.Where((_, k) => k < mean - d || k > mean + d).Sum();
            if (outside < FalseFailure)
            {
                return (mean - d, mean + d);
            }
        }
    }

    /// <summary>
    /// The reviews Service on 9080 with one EndpointSlice per pod (each naming its Pod by
    /// <c>targetRef</c> and carrying its backend's port), Pods <c>reviews-v1..v3</c> labelled
    /// <c>version: v1..v3</c>, a DestinationRule with subsets v1 and v2 only, and <paramref name="virtualService"/>.
    /// </summary>
    private static string ReviewsByPod(Backends backends, string virtualService) => MeshYaml.Documents(
        [
            MeshYaml.Service("reviews", 9080),
            .. new[] { "v1", "v2", "v3" }.SelectMany(v => new[]
            {
                MeshYaml.SliceOfPods($"reviews-{v}", "reviews", backends.Port(v), "default", ("127.0.0.1", $"reviews-{v}")),
                MeshYaml.Pod($"reviews-{v}", "default", v, "127.0.0.1"),
            }),
            MeshYaml.SubsetRule("reviews", "reviews", "default", "v1", "v2"),
            virtualService,
        ]);

    /// <summary>The echo Service with one EndpointSlice per backend (each slice carries its own backend's port).</summary>
    private static string EchoMesh(Backends backends, IEnumerable<string> ready, IEnumerable<string> notReady) => MeshYaml.Documents(
        [
            MeshYaml.Service("echo", 7000),
            .. ready.Select(id => MeshYaml.Slice($"echo-{id}", "echo", backends.Port(id), [("127.0.0.1", true)])),
            .. notReady.Select(id => MeshYaml.Slice($"echo-{id}", "echo", backends.Port(id), [("127.0.0.1", false)])),
        ]);

    /// <summary>
    /// The echo Service with b1 in zone <c>r1/a</c> (ready or not) and b2 in zone <c>r1/b</c> of
    /// the same region, in the slice zone's <c>region/zone</c> form.
    /// </summary>
    private static string ZonalEchoMesh(Backends backends, bool b1Ready) => MeshYaml.Documents(
        MeshYaml.Service("echo", 7000),
        MeshYaml.Slice("echo-b1", "echo", backends.Port("b1"), [("127.0.0.1", b1Ready)], zone: "r1/a"),
        MeshYaml.Slice("echo-b2", "echo", backends.Port("b2"), [("127.0.0.1", true)], zone: "r1/b"));

    [Fact]
    public async Task AnXdsEnabledGrpcServer_IsServedTheListenerOfItsAddress_AndServesOnceItHasIt()
    {
        // The server's workload: an endpoint of a Service on the port it binds.
        var port = TestPorts.Free();
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo-server.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("echo-server", port),
                MeshYaml.Slice("echo-server-1", "echo-server", port, [("127.0.0.1", true)])),
        });
        var bootstrap = JsonSerializer.Serialize(new
        {
            xds_servers = new[]
            {
                new { server_uri = $"127.0.0.1:{server.XdsPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } },
            },
            node = new
            {
                id = "sidecar~127.0.0.1~echo-server-0.default~default.svc.cluster.local",
                metadata = new { GENERATOR = "grpc", NAMESPACE = "default" },
                locality = new { },
            },
            server_listener_resource_name_template = "grpc/server?xds.resource.listening_address=%s",
        });

        await using var grpcServer = await NodeProcess.StartAsync("xds-server.js", [$"127.0.0.1:{port}", "s1"], new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP_CONFIG"] = bootstrap });
        var serving = await grpcServer.ReadAsync(TimeSpan.FromSeconds(30));

        Assert.True((bool)serving["serving"]!, serving.ToJsonString());
        Assert.Equal("s1", (string?)serving["who"]);
    }

    private static async Task<NodeProcess> StartClientAsync(MeshServer server, string target, string name, (string Region, string Zone)? locality = null)
    {
        var bootstrap = JsonSerializer.Serialize(new
        {
            xds_servers = new[]
            {
                new { server_uri = $"127.0.0.1:{server.XdsPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } },
            },
            node = new
            {
                id = $"sidecar~127.0.0.1~{name}.default~default.svc.cluster.local",

                // As Istio's proxyless bootstrap writes it: the grpc generator marks a proxyless client.
                metadata = new { GENERATOR = "grpc", NAMESPACE = "default" },
                locality = locality is { } at ? new { region = at.Region, zone = at.Zone } : (object)new { },
            },
        });
        var client = await NodeProcess.StartAsync("client.js", [target], new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP_CONFIG"] = bootstrap });
        var ready = await client.ReadAsync();
        Assert.True((bool)ready["ready"]!);

        // The tests measure routing, not the first resolution: a grpc-js channel resolves on its
        // first call, whose 5 s deadline a cold control plane on a loaded 2-core machine can miss
        // (the closing note of stop 17). One call starts it (its outcome is not counted); then the
        // client's own CSDS must show its listener ACKed, within a bound.
        await client.AskAsync(new { op = "call", n = 1 }, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(
            async () => (await client.AskAsync(new { op = "csds" }))["configs"]!.AsArray()
                .Any(c => ((string)c!["type_url"]!).EndsWith("Listener", StringComparison.Ordinal) && (string?)c["client_status"] == "ACKED"),
            TimeSpan.FromSeconds(30),
            "the client has resolved its target");
        return client;
    }

    /// <summary>gRPC Echo backends on 127.0.0.1, one port each.</summary>
    private sealed class Backends : IAsyncDisposable
    {
        private readonly NodeProcess _process;
        private readonly JsonObject _ports;

        private Backends(NodeProcess process, JsonObject ports)
        {
            _process = process;
            _ports = ports;
        }

        public static async Task<Backends> StartAsync(params string[] ids)
        {
            var process = await NodeProcess.StartAsync("backends.js", ids);
            var ports = (await process.ReadAsync()).AsObject();
            return new Backends(process, ports);
        }

        public int Port(string id) => (int)_ports[id]!;

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }
}
