using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Tests.EndToEnd;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Grains.Interfaces;

/// <summary>
/// Envoy's own acceptance rules (the protoc-gen-validate annotations of its canonical protos,
/// which Envoy enforces before it takes a resource, NACKing otherwise) applied to hand-made bad
/// resources, which must be caught, and to everything the control plane serves or its pure
/// translators build, which must pass.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class EnvoyValidationTests(EnvoyValidation validation, ITestOutputHelper output) : IClassFixture<EnvoyValidation>
{
    private const string HttpConnectionManagerType = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

    /// <summary>Gateway servers of every kind the mesh builds for the ingress gateway: redirecting HTTP, TCP, TLS passthrough.</summary>
    private const string RichGateways = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: bookinfo}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http-redirect, protocol: HTTP}
            hosts: ["*.bookinfo.example"]
            tls: {httpsRedirect: true}
          - port: {number: 27017, name: mongo, protocol: MONGO}
            hosts: ["*"]
          - port: {number: 8443, name: tls, protocol: TLS}
            hosts: ["*.bookinfo.example"]
            tls: {mode: PASSTHROUGH}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: edge, namespace: bookinfo}
        spec:
          hosts: [api.bookinfo.example, mongodb]
          gateways: [edge]
          http:
          - match: [{headers: {end-user: {exact: jason}}}]
            route: [{destination: {host: reviews, subset: v2}}]
            retries: {attempts: 3, perTryTimeout: 2s}
          - route: [{destination: {host: reviews, subset: v1}, weight: 80}, {destination: {host: reviews, subset: v3}, weight: 20}]
          tcp:
          - route: [{destination: {host: mongodb}}]
          tls:
          - match: [{sniHosts: [api.bookinfo.example]}]
            route: [{destination: {host: productpage, port: {number: 9080}}}]
        """;

    /// <summary>A VirtualService on bookinfo's reviews using every routing feature the mesh translates.</summary>
    private const string RichVirtualServices = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-rich, namespace: bookinfo}
        spec:
          hosts: [reviews]
          http:
            - name: exact-path
              match: [{uri: {exact: /reviews/1}, headers: {x-user: {exact: jason}}}]
              route: [{destination: {host: reviews, port: {number: 9080}}}]
              timeout: 2s
            - name: prefix-and-regex
              match:
                - {uri: {prefix: /api/}, headers: {x-canary: {prefix: tr}}}
                - {uri: {regex: "/r[0-9]+"}, headers: {x-version: {regex: "v[12]"}}, port: 9080}
              route:
                - {destination: {host: ratings}, weight: 30}
                - {destination: {host: details}, weight: 70}
            - name: to-nowhere
              match: [{headers: {x-missing: {exact: "1"}}}]
              route: [{destination: {host: nowhere}}]
            - name: half-missing
              match: [{uri: {prefix: /half}}]
              route:
                - {destination: {host: reviews}, weight: 50}
                - {destination: {host: nowhere-else}, weight: 50}
            - name: default
              route: [{destination: {host: reviews}}]
              timeout: 500ms
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: productpage-split, namespace: bookinfo}
        spec:
          hosts: [productpage]
          http:
            - route:
                - {destination: {host: productpage}, weight: 100}
                - {destination: {host: details}, weight: 0}
        """;

    /// <summary>Hand-made resources that each break one rule of Envoy's protos, and the violation expected.</summary>
    private static readonly IReadOnlyDictionary<string, (Func<IMessage> Build, string Expected)> s_violations =
        new Dictionary<string, (Func<IMessage>, string)>
        {
            ["cluster with an empty name"] = (() => new Cluster { Name = string.Empty }, "name: string.min_len 1"),
            ["cluster with a zero connect timeout"] = (
                () => new Cluster { Name = "c", ConnectTimeout = new Duration() },
                "connect_timeout: duration.gt 0s (is 0s)"),
            ["outlier detection with a negative interval"] = (
                () => new Cluster { Name = "c", OutlierDetection = new OutlierDetection { Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(-1)) } },
                "outlier_detection.interval: duration.gt 0s (is -1s)"),
            ["outlier detection ejecting more than 100 percent"] = (
                () => new Cluster { Name = "c", OutlierDetection = new OutlierDetection { MaxEjectionPercent = 150 } },
                "outlier_detection.max_ejection_percent: uint32.lte 100 (is 150)"),
            ["cluster with an undefined lb policy"] = (
                () => new Cluster { Name = "c", LbPolicy = (Cluster.Types.LbPolicy)42 },
                "lb_policy: enum.defined_only"),
            ["circuit breaker threshold of an undefined priority"] = (
                () => new Cluster { Name = "c", CircuitBreakers = new CircuitBreakers { Thresholds = { new CircuitBreakers.Types.Thresholds { Priority = (RoutingPriority)7 } } } },
                "circuit_breakers.thresholds[0].priority: enum.defined_only"),
            ["metadata under an empty filter name"] = (
                () => new Cluster { Name = "c", Metadata = new Metadata { FilterMetadata = { [string.Empty] = new Struct() } } },
                "metadata.filter_metadata[] (key): map.keys.string.min_len 1"),
            ["virtual host without domains"] = (
                () => new RouteConfiguration { Name = "r", VirtualHosts = { new VirtualHost { Name = "a", Domains = { "a" } }, new VirtualHost { Name = "b" } } },
                "virtual_hosts[1].domains: repeated.min_items 1 (has 0)"),
            ["header matcher with an invalid header name"] = (
                () => Routes(new Route
                {
                    Match = new RouteMatch { Prefix = "/", Headers = { new HeaderMatcher { Name = "x-bad\nname", StringMatch = new StringMatcher { Exact = "1" } } } },
                    Route_ = new RouteAction { Cluster = "c" },
                }),
                "virtual_hosts[0].routes[0].match.headers[0].name: string.well_known_regex \"HTTP_HEADER_NAME\""),
            ["header matcher with an empty name"] = (
                () => Routes(new Route
                {
                    Match = new RouteMatch { Prefix = "/", Headers = { new HeaderMatcher { PresentMatch = true } } },
                    Route_ = new RouteAction { Cluster = "c" },
                }),
                "virtual_hosts[0].routes[0].match.headers[0].name: string.min_len 1"),
            ["route without a match"] = (
                () => Routes(new Route { Route_ = new RouteAction { Cluster = "c" } }),
                "virtual_hosts[0].routes[0].match: message.required"),
            ["route match without a path specifier"] = (
                () => Routes(new Route { Match = new RouteMatch(), Route_ = new RouteAction { Cluster = "c" } }),
                "virtual_hosts[0].routes[0].match.path_specifier: oneof required"),
            ["route action without a cluster specifier"] = (
                () => Routes(new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction() }),
                "virtual_hosts[0].routes[0].route.cluster_specifier: oneof required"),
            ["weighted clusters without clusters"] = (
                () => Routes(new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { WeightedClusters = new WeightedCluster() } }),
                "virtual_hosts[0].routes[0].route.weighted_clusters.clusters: repeated.min_items 1 (has 0)"),
            ["regex matcher with an empty regex"] = (
                () => Routes(new Route { Match = new RouteMatch { SafeRegex = new RegexMatcher() }, Route_ = new RouteAction { Cluster = "c" } }),
                "virtual_hosts[0].routes[0].match.safe_regex.regex: string.min_len 1"),
            ["direct response with a status below 200"] = (
                () => Routes(new Route { Match = new RouteMatch { Prefix = "/" }, DirectResponse = new DirectResponseAction { Status = 99 } }),
                "virtual_hosts[0].routes[0].direct_response.status: uint32.gte 200, uint32.lt 600 (is 99)"),
            ["listener filter with an empty name"] = (
                () => new Listener { Name = "l", FilterChains = { new FilterChain { Filters = { new Filter { TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "s", Cluster = "c" }) } } } } },
                "filter_chains[0].filters[0].name: string.min_len 1"),
            ["http connection manager without a stat prefix, inside an Any"] = (
                () => new Listener
                {
                    Name = "l",
                    FilterChains = { new FilterChain { Filters = { new Filter { Name = "hcm", TypedConfig = Any.Pack(new HttpConnectionManager { Rds = new Rds { RouteConfigName = "r", ConfigSource = ClusterTranslator.AdsConfigSource() } }) } } } },
                },
                "filter_chains[0].filters[0].typed_config.stat_prefix: string.min_len 1"),
            ["route configuration inlined in an Any with a virtual host without domains"] = (
                () => new Listener
                {
                    Name = "l",
                    FilterChains = { new FilterChain { Filters = { new Filter { Name = "hcm", TypedConfig = Any.Pack(new HttpConnectionManager { StatPrefix = "s", RouteConfig = new RouteConfiguration { VirtualHosts = { new VirtualHost { Name = "v" } } } }) } } } },
                },
                "filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains: repeated.min_items 1"),
            ["filter whose typed config has an unknown type URL"] = (
                () => new Listener { Name = "l", FilterChains = { new FilterChain { Filters = { new Filter { Name = "f", TypedConfig = new Any { TypeUrl = TypeUrls.Prefix + "mesh.orleans.NoSuchFilter" } } } } } },
                "filter_chains[0].filters[0].typed_config: Any of unknown type URL \"type.googleapis.com/mesh.orleans.NoSuchFilter\""),
            ["endpoint port above 65535"] = (
                () => new ClusterLoadAssignment { ClusterName = "c", Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = SidecarTranslator.SocketAddressOf("127.0.0.1", 70000) } } } } } },
                "endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: uint32.lte 65535 (is 70000)"),
            ["socket address with an empty address"] = (
                () => new ClusterLoadAssignment { ClusterName = "c", Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = SidecarTranslator.SocketAddressOf(string.Empty, 80) } } } } } },
                "endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: string.min_len 1"),
            ["load assignment with an empty cluster name"] = (() => new ClusterLoadAssignment(), "cluster_name: string.min_len 1"),
        };

    /// <summary>The names of <see cref="s_violations"/>, one test case each.</summary>
    public static TheoryData<string> ViolationCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in s_violations.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ViolationCases))]
    public async Task Validate_AResourceBreakingARule_ReportsThePathAndTheRuleFromEnvoysProto(string name)
    {
        var (build, expected) = s_violations[name];

        var violations = await validation.ValidateAsync(build());

        Assert.True(violations.Any(v => v.StartsWith(expected, StringComparison.Ordinal)), $"expected \"{expected}\", got [{string.Join("; ", violations)}]");
    }

    [Fact]
    public void HandMadeViolations_AreAtLeastTen()
    {
        Assert.True(s_violations.Count >= 10, $"only {s_violations.Count} hand-made violations");
    }

    [Fact]
    public async Task Validate_WellFormedResources_PassWhileTheirRulesAreEvaluated()
    {
        var before = validation.CheckedRules;
        var cluster = WorkloadTranslator.InboundClusterOf(9080);
        var routes = Routes(new Route
        {
            Match = new RouteMatch { Prefix = "/", Headers = { new HeaderMatcher { Name = ":authority", StringMatch = new StringMatcher { Exact = "a" } } } },
            Route_ = new RouteAction { Cluster = "c", Timeout = new Duration() },
        });

        var violations = (await validation.ValidateAsync(cluster)).Concat(await validation.ValidateAsync(routes)).ToList();

        Assert.Empty(violations);
        // Cluster: name, type, lb_policy, connect_timeout, cluster_name, the address, its port...; routes: names, domains, the oneofs.
        Assert.True(validation.CheckedRules - before >= 15, $"only {validation.CheckedRules - before} rules were evaluated");
    }

    [Fact]
    public async Task Validate_GarbageBytes_FailsLoudly()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => validation.ValidateAsync(TypeUrls.Cluster, ByteString.CopyFrom(0xff, 0xff, 0xff)));

        Assert.Contains(TypeUrls.Cluster, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ALLOW_ANY")]
    [InlineData("REGISTRY_ONLY")]
    public async Task EveryResourceServed_ToProxylessClientsSidecarsAndGateways_PassesEnvoysRules(string outboundTrafficPolicy)
    {
        using var tokens = new TempDirectory();
        var tokenFile = tokens.Write("tokens", "bookinfo-productpage-token-0123 bookinfo productpage\n");
        await using var server = await MeshServer.StartAsync(
            new Dictionary<string, string>
            {
                ["greeter.yaml"] = await SampleAsync("greeter.yaml"),
                ["reviews.yaml"] = await SampleAsync("reviews.yaml"),
                ["bookinfo.yaml"] = await SampleAsync("bookinfo.yaml"),
                ["rich.yaml"] = RichVirtualServices,
                ["gateways.yaml"] = RichGateways,
            },
            new Dictionary<string, string?> { ["Mesh:Traffic:OutboundTrafficPolicy"] = outboundTrafficPolicy, ["Mesh:Security:TokenFile"] = tokenFile });
        var before = validation.CheckedRules;
        var nodes = new (string NodeId, Struct? Metadata)[]
        {
            ("sidecar~127.0.0.1~test.default~default.svc.cluster.local", null),
            ("sidecar~127.1.0.1~productpage-v1-7d9c5b.bookinfo~bookinfo.svc.cluster.local", SidecarServingTests.SidecarMetadata()),
            ("sidecar~127.1.0.4~reviews-v2-7d9c5b.bookinfo~bookinfo.svc.cluster.local", SidecarServingTests.SidecarMetadata()),
            ("sidecar~127.1.0.7~mongodb-0.bookinfo~bookinfo.svc.cluster.local", SidecarServingTests.SidecarMetadata()),
            ("router~127.1.0.20~istio-ingressgateway-5d8c.istio-system~istio-system.svc.cluster.local", SidecarServingTests.GatewayMetadata()),
        };

        var failures = new List<string>();
        var counts = new Dictionary<string, int>();
        foreach (var (nodeId, metadata) in nodes)
        {
            await using var client = AdsTestClient.Connect(server.XdsPort, nodeId, metadata: metadata);
            foreach (var response in await FetchEverythingAsync(client))
            {
                foreach (var any in response.Resources)
                {
                    counts[response.TypeUrl] = counts.GetValueOrDefault(response.TypeUrl) + 1;
                    foreach (var violation in await validation.ValidateAsync(any.TypeUrl, any.Value))
                    {
                        failures.Add($"{nodeId.Split('~')[2]}: {any.TypeUrl[TypeUrls.Prefix.Length..]} {NameOf(any)}: {violation}");
                    }
                }
            }
        }

        // A sidecar's SDS secrets, over the TLS port with its service account's token.
        var root = server.Services.GetRequiredService<Mesh.Orleans.Xds.Frontend.Security.MeshTls>().Root;
        using (var channel = MeshTlsClient.Channel(server.XdsTlsPort, root, token: "bookinfo-productpage-token-0123"))
        {
            await using var client = AdsTestClient.Connect(channel, nodes[1].NodeId, nodes[1].Metadata);
            await client.SendAsync(TypeUrls.Secret, [Mesh.Orleans.Xds.Frontend.Security.ProxySecrets.Default, Mesh.Orleans.Xds.Frontend.Security.ProxySecrets.RootCa]);
            foreach (var any in (await client.ReceiveTypeAsync(TypeUrls.Secret)).Resources)
            {
                counts[any.TypeUrl] = counts.GetValueOrDefault(any.TypeUrl) + 1;
                foreach (var violation in await validation.ValidateAsync(any.TypeUrl, any.Value))
                {
                    failures.Add($"secret: {violation}");
                }
            }
        }

        output.WriteLine(string.Join("\n", counts.Select(c => $"{c.Key}: {c.Value}")));
        Assert.True(failures.Count == 0, "served resources Envoy would NACK:\n" + string.Join("\n", failures));
        Assert.All(TypeUrls.PushOrder, t => Assert.True(counts.GetValueOrDefault(t) > 0, $"no {t} was served"));
        Assert.True(counts.Values.Sum() >= 100, $"only {counts.Values.Sum()} resources were served");
        Assert.True(validation.CheckedRules - before >= 10 * counts.Values.Sum(), $"only {validation.CheckedRules - before} rules were evaluated");
    }

    [Fact]
    public async Task SidecarTranslator_FixedAndListeners_PassEnvoysRules()
    {
        var resources = new List<(string Label, string TypeUrl, ByteString Bytes)>();
        foreach (var registryOnly in new[] { false, true })
        {
            resources.AddRange(SidecarTranslator.Fixed(registryOnly).Select(r => ($"Fixed({registryOnly}) {r.Name}", r.TypeUrl, ByteString.CopyFrom(r.Payload))));
            var piece = SidecarTranslator.ServicePort(new MeshService("bookinfo", "reviews", [Port("http", 9080)], "127.96.0.12"), Port("http", 9080), "outbound|9080||reviews.bookinfo.svc.cluster.local", RouteTranslator.Build("reviews.bookinfo.svc.cluster.local", 9080, [], s_noPorts).VirtualHosts[0], [])[0];
            resources.Add(($"piece {piece.Name}", piece.TypeUrl, ByteString.CopyFrom(piece.Payload)));
            var route = SidecarTranslator.RouteConfiguration(9080, [piece], registryOnly);
            resources.Add(($"RouteConfiguration(9080, {registryOnly})", route.TypeUrl, ByteString.CopyFrom(route.Payload)));
            var empty = SidecarTranslator.RouteConfiguration(8080, [], registryOnly);
            resources.Add(($"RouteConfiguration(8080, none, {registryOnly})", empty.TypeUrl, ByteString.CopyFrom(empty.Payload)));
            resources.Add(($"CatchAll({registryOnly})", TypeUrls.VirtualHostPiece, SidecarTranslator.CatchAll(registryOnly).ToByteString()));
        }

        foreach (var port in new[] { 80, 9080, 65535 })
        {
            resources.Add(($"HttpListener({port})", TypeUrls.Listener, SidecarTranslator.HttpListener(port, registryOnly: false).ToByteString()));
        }

        resources.Add(("TcpListener(clusterIP)", TypeUrls.Listener, SidecarTranslator.TcpListener("127.96.0.14", 27017, "outbound|27017||mongodb.bookinfo.svc.cluster.local").ToByteString()));
        resources.Add(("TcpListener(headless)", TypeUrls.Listener, SidecarTranslator.TcpListener("127.1.0.7", 3306, "outbound|3306||mysql.bookinfo.svc.cluster.local").ToByteString()));
        var tcpPiece = SidecarTranslator.ServicePort(new MeshService("bookinfo", "mongodb", [Port("tcp-mongo", 27017)], "127.96.0.14"), Port("tcp-mongo", 27017), "outbound|27017||mongodb.bookinfo.svc.cluster.local", new VirtualHost { Name = "unused" }, [])[0];
        resources.Add(("ServicePort(tcp)", tcpPiece.TypeUrl, ByteString.CopyFrom(tcpPiece.Payload)));
        var unnamed = new ServicePort("", 5432, null, "TCP", null);
        var sniffed = SidecarTranslator.ServicePort(new MeshService("bookinfo", "db", [unnamed], "127.96.0.15"), unnamed, "outbound|5432||db.bookinfo.svc.cluster.local", RouteTranslator.Build("db.bookinfo.svc.cluster.local", 5432, [], s_noPorts).VirtualHosts[0], []);
        Assert.Equal([TypeUrls.VirtualHostPiece, TypeUrls.Listener, TypeUrls.RouteConfiguration], sniffed.Select(r => r.TypeUrl));
        resources.AddRange(sniffed.Select(r => ($"ServicePort(unnamed) {r.Name}", r.TypeUrl, ByteString.CopyFrom(r.Payload))));
        resources.Add(("HttpListener(9080, REGISTRY_ONLY)", TypeUrls.Listener, SidecarTranslator.HttpListener(9080, registryOnly: true).ToByteString()));
        resources.Add(("ApiListener", TypeUrls.Listener, ListenerTranslator.BuildApiListener("reviews.bookinfo.svc.cluster.local:9080").ToByteString()));
        resources.Add(("BuildOutbound", TypeUrls.Cluster, ClusterTranslator.BuildOutbound("outbound|9080||reviews.bookinfo.svc.cluster.local").ToByteString()));

        await AssertValidAsync(resources);
    }

    public static TheoryData<string> PortSets() => new() { "none", "http", "tcp", "unknown", "udp", "mixed" };

    [Theory]
    [MemberData(nameof(PortSets))]
    public async Task WorkloadTranslator_Build_PassesEnvoysRules(string portSet)
    {
        IReadOnlyList<WorkloadPort> ports = portSet switch
        {
            "none" => [],
            "http" => [new(9080, MeshProtocol.Http)],
            "tcp" => [new(27017, MeshProtocol.Mongo)],
            "unknown" => [new(8000, MeshProtocol.Unknown)],
            "udp" => [new(53, MeshProtocol.Udp)],
            _ => [new(80, MeshProtocol.Http), new(81, MeshProtocol.Http2), new(82, MeshProtocol.Grpc), new(83, MeshProtocol.GrpcWeb), new(443, MeshProtocol.Https), new(3306, MeshProtocol.MySql), new(6379, MeshProtocol.Redis), new(9000, MeshProtocol.Tcp), new(9001, MeshProtocol.Tls), new(9002, MeshProtocol.Unknown), new(5353, MeshProtocol.Udp)],
        };

        var resources = WorkloadTranslator.Build(ProxyKind.Sidecar, "127.1.0.4", new WorkloadInputs(ports.ToList()));

        Assert.NotEmpty(resources);
        await AssertValidAsync(resources.Select(r => ($"{portSet} {r.Name}", r.TypeUrl, ByteString.CopyFrom(r.Payload))));
    }

    [Fact]
    public async Task ServiceTranslator_Translate_PassesEnvoysRules()
    {
        const string Host = "reviews.bookinfo.svc.cluster.local";
        var service = new MeshService("bookinfo", "reviews", [Port("http", 9080), Port("grpc-api", 9090), Port("tcp-db", 5432), Port("dns", 53, "UDP"), Port("unnamed", 8000)], "127.96.0.12");
        var slices = new List<MeshEndpointSlice>
        {
            new("bookinfo", "reviews-a", "reviews", "IPv4", [new SlicePort("http", 9080, "TCP"), new SlicePort("grpc-api", 9090, "TCP")],
                [new SliceEndpoint(["127.1.0.3"], true, true, false, "us-east1-b", null, null), new SliceEndpoint(["127.1.0.4"], false, false, true, null, null, null)]),
        };
        var destinationPorts = new Dictionary<string, IReadOnlyList<int>> { [Host] = [9080, 9090], ["ratings.bookinfo.svc.cluster.local"] = [9080] };
        var virtualService = new VirtualServiceSpec("bookinfo", "reviews", [Host],
        [
            new HttpRouteSpec("split", [], [new RouteDestinationSpec(Host, 9080, 60), new RouteDestinationSpec("ratings.bookinfo.svc.cluster.local", null, 40)], TimeSpan.FromSeconds(3)),
        ]);

        var resources = new List<XdsResource>();
        resources.AddRange(ServiceTranslator.Translate(Host, service, slices, [], destinationPorts));
        resources.AddRange(ServiceTranslator.Translate(Host, service, slices, [virtualService], destinationPorts, referencedPorts: [7000]));
        resources.AddRange(ServiceTranslator.Translate("nowhere.bookinfo.svc.cluster.local", null, [], [], destinationPorts, referencedPorts: [9080]));
        resources.AddRange(ServiceTranslator.Translate("headless.bookinfo.svc.cluster.local", new MeshService("bookinfo", "headless", [Port("http-web", 80)]), [], [], destinationPorts));

        // Load balancers only Envoy takes: each Cluster is built in its Envoy and its proxyless shape.
        static TrafficPolicySpec Lb(LoadBalancerSpec loadBalancer) => new(null, loadBalancer, null, null, null, []);
        var rule = new DestinationRuleSpec("bookinfo", "reviews", Host,
            [
                new SubsetSpec("maglev", new Dictionary<string, string> { ["version"] = "v1" }, Lb(new LoadBalancerSpec(null, "source-ip", null, null, null, 65537))),
                new SubsetSpec("passthrough", new Dictionary<string, string> { ["version"] = "v2" }, Lb(new LoadBalancerSpec("PASSTHROUGH", null, null, null, null, null))),
            ],
            Lb(new LoadBalancerSpec("LEAST_REQUEST", null, null, null, null, null)), [], null);
        var shaped = ServiceTranslator.Translate(Host, service, slices, [], destinationPorts, destinationRule: rule);
        Assert.Contains(shaped, r => r.TypeUrl == TypeUrls.Cluster && r.Audience == ResourceAudience.Envoy);
        resources.AddRange(shaped);

        Assert.True(resources.Count >= 20, $"only {resources.Count} resources");
        await AssertValidAsync(resources.Select(r => ($"{r.Name} ({r.TypeUrl})", r.TypeUrl, ByteString.CopyFrom(r.Payload))));
    }

    [Fact]
    public async Task RouteTranslator_VirtualServicesWithManyFeatures_PassEnvoysRules()
    {
        const string Host = "reviews.bookinfo.svc.cluster.local";
        const string Ratings = "ratings.bookinfo.svc.cluster.local";
        var destinationPorts = new Dictionary<string, IReadOnlyList<int>> { [Host] = [9080, 9090], [Ratings] = [9080] };
        var first = new VirtualServiceSpec("bookinfo", "a", [Host],
        [
            new HttpRouteSpec("exact", [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Exact, "/reviews/1"), [new HeaderMatchSpec("x-user", new StringMatchSpec(StringMatchKind.Exact, "jason"))], null)], [new RouteDestinationSpec(Host, 9080, 100)], TimeSpan.FromSeconds(2)),
            new HttpRouteSpec("prefix-and-regex",
            [
                new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/api/"), [new HeaderMatchSpec("x-canary", new StringMatchSpec(StringMatchKind.Prefix, "tr")), new HeaderMatchSpec(":authority", new StringMatchSpec(StringMatchKind.Regex, ".*\\.example"))], null),
                new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Regex, "/r[0-9]+"), [], 9080),
                new HttpMatchSpec(null, [], 9090),
            ],
            [new RouteDestinationSpec(Host, null, 30), new RouteDestinationSpec(Ratings, null, 70)], null),
            new HttpRouteSpec(null, [new HttpMatchSpec(null, [new HeaderMatchSpec("x-missing", new StringMatchSpec(StringMatchKind.Exact, "1"))], null)], [new RouteDestinationSpec("nowhere.bookinfo.svc.cluster.local", null, 100)], null),
            new HttpRouteSpec("half-missing", [], [new RouteDestinationSpec(Host, null, 50), new RouteDestinationSpec("nowhere.bookinfo.svc.cluster.local", null, 50)], TimeSpan.FromMilliseconds(1500)),
        ]);
        var second = new VirtualServiceSpec("bookinfo", "b", [Host],
        [
            new HttpRouteSpec("zero-weight", [], [new RouteDestinationSpec(Host, null, 100), new RouteDestinationSpec(Ratings, null, 0)], null),
            new HttpRouteSpec("all-zero", [new HttpMatchSpec(new StringMatchSpec(StringMatchKind.Prefix, "/zero"), [], null)], [new RouteDestinationSpec(Host, null, 0), new RouteDestinationSpec(Ratings, null, 0)], null),
        ]);

        var resources = new List<(string, string, ByteString)>();
        foreach (var port in new[] { 9080, 9090 })
        {
            foreach (var bound in new[] { Array.Empty<VirtualServiceSpec>(), [first], [second], [first, second] })
            {
                var routes = RouteTranslator.Build(Host, port, bound, destinationPorts);
                resources.Add(($"{port} [{string.Join(",", bound.Select(v => v.Name))}]", TypeUrls.RouteConfiguration, routes.ToByteString()));
            }
        }

        await AssertValidAsync(resources);
    }

    private static readonly Dictionary<string, IReadOnlyList<int>> s_noPorts = [];

    private async Task AssertValidAsync(IEnumerable<(string Label, string TypeUrl, ByteString Bytes)> resources)
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var (label, typeUrl, bytes) in resources)
        {
            count++;
            foreach (var violation in await validation.ValidateAsync(typeUrl, bytes))
            {
                failures.Add($"{label}: {violation}");
            }
        }

        output.WriteLine($"{count} resources checked");
        Assert.True(failures.Count == 0, "resources Envoy would NACK:\n" + string.Join("\n", failures));
    }

    /// <summary>CDS and LDS (wildcard), then EDS for every EDS cluster and RDS for every route name the listeners use.</summary>
    private static async Task<List<DiscoveryResponse>> FetchEverythingAsync(AdsTestClient client)
    {
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveTypeAsync(TypeUrls.Listener);
        var responses = new List<DiscoveryResponse> { clusters, listeners };

        var edsNames = AdsTestClient.Unpack<Cluster>(clusters).Where(c => c.Type == Cluster.Types.DiscoveryType.Eds).Select(c => c.Name).ToList();
        if (edsNames.Count > 0)
        {
            await client.SendAsync(TypeUrls.ClusterLoadAssignment, edsNames);
            responses.Add(await client.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment));
        }

        var routeNames = AdsTestClient.Unpack<Listener>(listeners).SelectMany(RouteNames).Distinct(StringComparer.Ordinal).ToList();
        if (routeNames.Count > 0)
        {
            await client.SendAsync(TypeUrls.RouteConfiguration, routeNames);
            responses.Add(await client.ReceiveTypeAsync(TypeUrls.RouteConfiguration));
        }

        return responses;
    }

    private static IEnumerable<string> RouteNames(Listener listener)
    {
        var configs = listener.FilterChains.SelectMany(c => c.Filters).Select(f => f.TypedConfig).Append(listener.ApiListener?.ApiListener_);
        foreach (var config in configs)
        {
            if (config is not null && config.TypeUrl == TypeUrls.Prefix + HttpConnectionManagerType && config.Unpack<HttpConnectionManager>().Rds is { } rds)
            {
                yield return rds.RouteConfigName;
            }
        }
    }

    private static string NameOf(Any any) => any.TypeUrl switch
    {
        TypeUrls.Cluster => any.Unpack<Cluster>().Name,
        TypeUrls.Listener => any.Unpack<Listener>().Name,
        TypeUrls.RouteConfiguration => any.Unpack<RouteConfiguration>().Name,
        TypeUrls.ClusterLoadAssignment => any.Unpack<ClusterLoadAssignment>().ClusterName,
        _ => "?",
    };

    private static RouteConfiguration Routes(Route route) =>
        new() { Name = "r", VirtualHosts = { new VirtualHost { Name = "v", Domains = { "*" }, Routes = { route } } } };

    private static ServicePort Port(string name, int port, string protocol = "TCP") => new(name, port, null, protocol, null);

    private static Task<string> SampleAsync(string name) => File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", name));
}
