using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Extensions.Filters.Http.HeaderMutation.V3;
using Envoy.Extensions.Filters.Http.LocalRatelimit.V3;
using Envoy.Extensions.Filters.Http.Lua.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// EnvoyFilters as Istio's documentation writes them (a Lua filter before the router, a local
/// rate limit, ext_authz, header mutation), the cases of Istio's <c>ValidateEnvoyFilter</c>, the
/// combinations Istio would accept and then ignore, and hostile values (unknown types, fields and
/// JSON types the protos refuse, values too large or expanding without bound).
/// </summary>
public sealed class EnvoyFilterParserTests
{
    private const string LuaBeforeRouter = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: reviews-lua, namespace: bookinfo, creationTimestamp: "2026-11-01T10:00:00Z"}
        spec:
          workloadSelector:
            labels: {app: reviews}
          priority: -5
          configPatches:
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              proxy: {proxyVersion: '^1\.2.*', metadata: {ROLE: edge}}
              listener:
                portNumber: 8080
                filterChain:
                  filter:
                    name: envoy.filters.network.http_connection_manager
                    subFilter: {name: envoy.filters.http.router}
            patch:
              operation: INSERT_BEFORE
              value:
                name: envoy.lua
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                  inlineCode: |
                    function envoy_on_request(request_handle)
                      request_handle:headers():add("x-lua", "yes")
                    end
        """;

    [Fact]
    public void LuaFilterBeforeTheRouter_IsReadWithItsValueConvertedToEnvoysTypes()
    {
        var filter = Read(LuaBeforeRouter);

        Assert.Equal(("bookinfo", "reviews-lua", -5), (filter.Namespace, filter.Name, filter.Priority));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "reviews" }, filter.WorkloadSelector);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero), filter.CreationTimestamp);
        var patch = Assert.Single(filter.Patches);
        Assert.Equal((EnvoyFilterApplyTo.HttpFilter, EnvoyFilterOperation.InsertBefore), (patch.ApplyTo, patch.Operation));
        Assert.Equal(EnvoyFilterContext.SidecarInbound, patch.Match.Context);
        Assert.Equal(@"^1\.2.*", patch.Match.ProxyVersion);
        Assert.Equal("edge", patch.Match.ProxyMetadata["ROLE"]);
        Assert.Equal(new EnvoyFilterListenerMatch(8080, null, null, null, null, null, 0, "envoy.filters.network.http_connection_manager", "envoy.filters.http.router"), patch.Match.Listener);
        Assert.Equal("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter", patch.Value!.MessageType);
        Assert.Equal("envoy.extensions.filters.http.lua.v3.Lua", patch.Value.TypedConfigType);

        var value = Assert.IsType<HttpFilter>(EnvoyPatchValues.Parse(patch.Value));
        Assert.Equal("envoy.lua", value.Name);
#pragma warning disable CS0612 // inline_code is deprecated in Envoy, and what Istio's examples still write.
        Assert.Contains("x-lua", value.TypedConfig.Unpack<Lua>().InlineCode, StringComparison.Ordinal);
#pragma warning restore CS0612
    }

    [Fact]
    public void LocalRateLimit_ExtAuthz_AndHeaderMutation_ConvertToTheirEnvoyMessages()
    {
        var filter = Read(Filter("""
            - applyTo: HTTP_FILTER
              patch:
                operation: INSERT_FIRST
                value:
                  name: envoy.filters.http.local_ratelimit
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                    stat_prefix: http_local_rate_limiter
                    token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 60s}
                    filter_enabled: {runtime_key: local_rate_limit_enabled, default_value: {numerator: 100, denominator: HUNDRED}}
                    response_headers_to_add:
                    - append_action: OVERWRITE_IF_EXISTS_OR_ADD
                      header: {key: x-local-rate-limit, value: "true"}
            - applyTo: HTTP_FILTER
              patch:
                operation: ADD
                value:
                  name: envoy.filters.http.ext_authz
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                    transport_api_version: V3
                    failure_mode_allow: false
                    grpc_service:
                      envoy_grpc: {cluster_name: "outbound|9000||ext-authz.foo.svc.cluster.local"}
                      timeout: 0.5s
                    with_request_body: {max_request_bytes: 8192, allow_partial_message: true}
            - applyTo: HTTP_FILTER
              patch:
                operation: ADD
                value:
                  name: envoy.filters.http.header_mutation
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                    mutations:
                      request_mutations:
                      - remove: x-debug
                      - append: {header: {key: x-mesh, value: orleans}}
            """));

        var values = filter.Patches.Select(p => (HttpFilter)EnvoyPatchValues.Parse(p.Value!)).ToList();
        var rateLimit = values[0].TypedConfig.Unpack<LocalRateLimit>();
        Assert.Equal((10u, 10u, 60L), (rateLimit.TokenBucket.MaxTokens, rateLimit.TokenBucket.TokensPerFill!.Value, rateLimit.TokenBucket.FillInterval.Seconds));
        Assert.Equal("x-local-rate-limit", Assert.Single(rateLimit.ResponseHeadersToAdd).Header.Key);
        var authz = values[1].TypedConfig.Unpack<ExtAuthz>();
        Assert.Equal("outbound|9000||ext-authz.foo.svc.cluster.local", authz.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal(500_000_000, authz.GrpcService.Timeout.Nanos);
        Assert.Equal(8192u, authz.WithRequestBody.MaxRequestBytes);
        var mutation = values[2].TypedConfig.Unpack<HeaderMutation>();
        Assert.Equal("x-debug", mutation.Mutations.RequestMutations[0].Remove);
        Assert.Equal("orleans", mutation.Mutations.RequestMutations[1].Append.Header.Value);
    }

    [Fact]
    public void RouteConfigurationAndClusterMatches_AreReadField_ByField()
    {
        var filter = Read(Filter("""
            - applyTo: HTTP_ROUTE
              match:
                context: GATEWAY
                routeConfiguration:
                  portNumber: 443
                  portName: https
                  gateway: istio-system/edge
                  name: https.443.https.edge.istio-system
                  vhost:
                    name: api.example.com:443
                    domainName: api.example.com
                    route: {name: default, action: DIRECT_RESPONSE}
              patch:
                operation: MERGE
                value: {route: {timeout: 5s}}
            - applyTo: CLUSTER
              match:
                cluster: {portNumber: 9080, service: reviews.bookinfo.svc.cluster.local, subset: v2}
              patch:
                operation: MERGE
                value: {connect_timeout: 3s}
            """));

        Assert.Equal(
            new EnvoyFilterRouteConfigurationMatch(443, "https", "istio-system/edge", "https.443.https.edge.istio-system", "api.example.com:443", "api.example.com", true, "default", EnvoyFilterRouteAction.DirectResponse),
            filter.Patches[0].Match.RouteConfiguration);
        Assert.Equal(EnvoyFilterContext.Gateway, filter.Patches[0].Match.Context);
        Assert.Equal(new EnvoyFilterClusterMatch(9080, "reviews.bookinfo.svc.cluster.local", "v2", null), filter.Patches[1].Match.Cluster);
        Assert.Equal(EnvoyFilterContext.Any, filter.Patches[1].Match.Context);
    }

    [Fact]
    public void InsertOnAnObjectThatIsNoListItem_BecomesAdd_AsIstioTurnsIt()
    {
        var filter = Read(Filter("""
            - applyTo: CLUSTER
              patch:
                operation: INSERT_BEFORE
                value: {name: extra, type: STATIC, connect_timeout: 1s}
            """));

        Assert.Equal(EnvoyFilterOperation.Add, Assert.Single(filter.Patches).Operation);
    }

    [Fact]
    public void Remove_NeedsNoValue_AndDropsOneGiven()
    {
        var filter = Read(Filter("""
            - applyTo: NETWORK_FILTER
              match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
              patch: {operation: REMOVE}
            - applyTo: VIRTUAL_HOST
              patch: {operation: REMOVE, value: {name: ignored}}
            """));

        Assert.All(filter.Patches, p => Assert.Null(p.Value));
    }

    [Theory]
    [InlineData("envoy.extensions.filters.http.wasm.v3.Wasm")]
    [InlineData("envoy.config.filter.http.lua.v2.Lua")]
    [InlineData("udpa.type.v1.TypedStruct")]
    public void AValueNamingAnUnknownType_IsRefusedWithThatTypesName(string type)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: HTTP_FILTER
              patch:
                operation: ADD
                value:
                  name: custom
                  typed_config: {"@type": "type.googleapis.com/{{{type}}}", value: {}}
            """));

        Assert.Equal("spec.configPatches[0].patch.value", rejection.Field);
        Assert.Contains(type, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownTypeDeepInsideAValue_IsRefusedToo()
    {
        var rejection = Reject(Filter("""
            - applyTo: NETWORK_FILTER
              patch:
                operation: ADD
                value:
                  name: envoy.filters.network.http_connection_manager
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                    stat_prefix: x
                    http_filters:
                    - name: envoy.filters.http.jwt_authn
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication}
            """));

        Assert.Contains("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inline_code: 12", "inline_code")]
    [InlineData("inline_code: [a, b]", "inline_code")]
    [InlineData("no_such_field: 1", "no_such_field")]
    [InlineData("source_codes: nope", "source_codes")]
    public void AValueWithAFieldOfTheWrongTypeOrUnknown_IsRefusedNamingIt(string field, string named)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: HTTP_FILTER
              patch:
                operation: ADD
                value:
                  name: envoy.lua
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, {{{field}}}}
            """));

        Assert.Equal("spec.configPatches[0].patch.value", rejection.Field);
        Assert.Contains("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains(named, rejection.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("value: just-a-string", "must be a mapping")]
    [InlineData("value: [1, 2]", "must be a mapping")]
    [InlineData("value: {connect_timeout: forever}", "does not convert")]
    [InlineData("value: {name: x, type: NOT_A_TYPE}", "does not convert")]
    [InlineData("value: {transport_socket: {name: t, typed_config: {\"@type\": 12}}}", "needs an @type that is a string")]
    public void AMalformedClusterValue_IsRefused(string value, string reason)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: CLUSTER
              patch:
                operation: MERGE
                {{{value}}}
            """));

        Assert.StartsWith("spec.configPatches[0].patch.value", rejection.Field, StringComparison.Ordinal);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAliasBombAsValue_IsRefusedWithoutExpandingIt()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: bomb, namespace: bookinfo}
            spec:
              configPatches:
              - applyTo: CLUSTER
                patch:
                  operation: MERGE
                  value:
                    metadata:
                      filter_metadata:
                        a: &a {x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
                        b: &b {a1: *a, a2: *a, a3: *a, a4: *a, a5: *a, a6: *a, a7: *a, a8: *a, a9: *a, a10: *a}
                        c: &c {b1: *b, b2: *b, b3: *b, b4: *b, b5: *b, b6: *b, b7: *b, b8: *b, b9: *b, b10: *b}
                        d: &d {c1: *c, c2: *c, c3: *c, c4: *c, c5: *c, c6: *c, c7: *c, c8: *c, c9: *c, c10: *c}
                        e: &e {d1: *d, d2: *d, d3: *d, d4: *d, d5: *d, d6: *d, d7: *d, d8: *d, d9: *d, d10: *d}
                        f: {e1: *e, e2: *e, e3: *e, e4: *e, e5: *e, e6: *e, e7: *e, e8: *e, e9: *e, e10: *e}
            """;

        var started = DateTime.UtcNow;
        var rejection = Assert.Single(KubernetesObjectParser.Parse("ef.yaml", yaml).Documents).Rejection!;

        Assert.Equal("spec.configPatches[0].patch.value", rejection.Field);
        Assert.Contains("more than", rejection.Reason, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the bomb was expanded");
    }

    [Fact]
    public void AHugeValue_IsRefused()
    {
        var code = new string('x', EnvoyPatchValues.MaxJsonLength + 10);
        var rejection = Reject(Filter($$$"""
            - applyTo: HTTP_FILTER
              patch:
                operation: ADD
                value:
                  name: envoy.lua
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_code: {{{code}}}}
            """));

        Assert.Equal("spec.configPatches[0].patch.value", rejection.Field);
        Assert.Contains($"at most {EnvoyPatchValues.MaxJsonLength}", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("applyTo: LISTENER_FILTER", "spec.configPatches[0].applyTo", "LISTENER_FILTER")]
    [InlineData("applyTo: BOOTSTRAP", "spec.configPatches[0].applyTo", "bootstrap")]
    [InlineData("applyTo: EXTENSION_CONFIG", "spec.configPatches[0].applyTo", "ECDS")]
    [InlineData("applyTo: SOMETHING", "spec.configPatches[0].applyTo", "must be one of")]
    [InlineData("match: {context: SIDECAR_OUTBOUND}", "spec.configPatches[0].applyTo", "is required")]
    public void AnApplyToTheMeshDoesNotPatch_IsRefusedWithTheReason(string line, string field, string reason)
    {
        var rejection = Reject(Filter($$$"""
            - {{{line}}}
              patch: {operation: MERGE, value: {}}
            """));

        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ROUTE_CONFIGURATION", "ADD", "only merges")]
    [InlineData("ROUTE_CONFIGURATION", "REMOVE", "only merges")]
    [InlineData("CLUSTER", "REPLACE", "ignores REPLACE")]
    [InlineData("LISTENER", "REPLACE", "ignores REPLACE")]
    [InlineData("FILTER_CHAIN", "REPLACE", "ignores REPLACE")]
    [InlineData("HTTP_ROUTE", "REPLACE", "ignores REPLACE")]
    [InlineData("HTTP_FILTER", "MERGE_AND_REPLACE_LIST", "not supported yet")]
    [InlineData("HTTP_FILTER", "INVALID", "is required")]
    [InlineData("HTTP_FILTER", "UPSERT", "must be one of")]
    public void AnOperationIstioWouldIgnore_IsRefusedWithTheReason(string applyTo, string operation, string reason)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: {{{applyTo}}}
              patch: {operation: {{{operation}}}, value: {name: x}}
            """));

        Assert.Equal("spec.configPatches[0].patch.operation", rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP_FILTER", "{listener: {filterChain: {filter: {subFilter: {name: a}}}}}", "filter.name", "needs a name")]
    [InlineData("NETWORK_FILTER", "{listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: a}}}}}", "subFilter", "HTTP_FILTER only")]
    [InlineData("HTTP_FILTER", "{listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: a}}}}}", "subFilter", "http_connection_manager")]
    [InlineData("HTTP_FILTER", "{listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {}}}}}", "subFilter.name", "needs a name")]
    [InlineData("CLUSTER", "{listener: {name: x}}", "match.listener", "needs a cluster match")]
    [InlineData("HTTP_FILTER", "{cluster: {name: x}}", "match.cluster", "needs a listener match")]
    [InlineData("VIRTUAL_HOST", "{listener: {name: x}}", "match.listener", "needs a routeConfiguration match")]
    [InlineData("CLUSTER", "{cluster: {name: x}, listener: {name: y}}", "match", "only one of")]
    [InlineData("CLUSTER", "{context: WAYPOINT}", "match.context", "waypoint")]
    [InlineData("CLUSTER", "{context: OUTBOUND}", "match.context", "must be one of")]
    [InlineData("CLUSTER", "{proxy: {proxyVersion: '1.2.(('}}", "proxyVersion", "not a valid regular expression")]
    [InlineData("CLUSTER", "{proxy: {proxyVersion: '(1)\\1'}}", "proxyVersion", "not a valid regular expression")]
    [InlineData("LISTENER", "{listener: {portName: http}}", "portName", "portNumber")]
    [InlineData("LISTENER", "{listener: {listenerFilter: envoy.filters.listener.tls_inspector}}", "listenerFilter", "LISTENER_FILTER")]
    public void AMatchIstioRefuses_IsRefused(string applyTo, string match, string field, string reason)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: {{{applyTo}}}
              match: {{{match}}}
              patch: {operation: MERGE, value: {}}
            """));

        Assert.EndsWith(field, rejection.Field, StringComparison.Ordinal);
        Assert.Contains(reason, rejection.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("NETWORK_FILTER", "REMOVE", "{listener: {portNumber: 80}}", "filter.name")]
    [InlineData("NETWORK_FILTER", "REPLACE", "{listener: {filterChain: {name: x}}}", "filter.name")]
    [InlineData("HTTP_FILTER", "REMOVE", "{listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}", "subFilter.name")]
    [InlineData("HTTP_FILTER", "REPLACE", "{context: ANY}", "subFilter.name")]
    public void RemovingOrReplacingAFilter_NeedsTheMatchToNameIt(string applyTo, string operation, string match, string field)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: {{{applyTo}}}
              match: {{{match}}}
              patch: {operation: {{{operation}}}, value: {name: x}}
            """));

        Assert.EndsWith(field, rejection.Field, StringComparison.Ordinal);
        Assert.Contains("Istio removes or replaces only", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AProxyVersionLongerThanIstioReads_IsRefused()
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: CLUSTER
              match: {proxy: {proxyVersion: '{{{new string('1', EnvoyFilterParser.MaxProxyVersionLength + 1)}}}'}}
              patch: {operation: MERGE, value: {}}
            """));

        Assert.Equal("spec.configPatches[0].match.proxy.proxyVersion", rejection.Field);
    }

    [Fact]
    public void TargetRefs_AreRefused_AsTheMeshServesNoGatewayApiGatewayOrWaypoint()
    {
        var rejection = Reject("""
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: ef, namespace: bookinfo}
            spec:
              targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: edge}]
              configPatches: []
            """);

        Assert.Equal("spec.targetRefs", rejection.Field);
        Assert.Contains("workloadSelector", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CLUSTER", "{type: STATIC}")]
    [InlineData("LISTENER", "{address: {socket_address: {address: 0.0.0.0, port_value: 9999}}}")]
    [InlineData("VIRTUAL_HOST", "{domains: ['*']}")]
    public void AnAddedObjectWithoutAName_IsRefused(string applyTo, string value)
    {
        var rejection = Reject(Filter($$$"""
            - applyTo: {{{applyTo}}}
              patch: {operation: ADD, value: {{{value}}}}
            """));

        Assert.Equal("spec.configPatches[0].patch.value.name", rejection.Field);
    }

    [Fact]
    public void MissingPatchOrValue_AndEveryProblemOfEveryPatch_AreReported()
    {
        var rejection = Reject(Filter("""
            - applyTo: CLUSTER
            - applyTo: HTTP_FILTER
              patch: {operation: ADD}
            - null
            - applyTo: NETWORK_FILTER
              patch: {operation: ADD, value: {name: x}, filterClass: SOMETIMES}
            """));

        Assert.Equal("spec.configPatches[0].patch", rejection.Field);
        Assert.Contains("spec.configPatches[1].patch.value: is required", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.configPatches[2]: is a null config patch", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.configPatches[3].patch.filterClass", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("networking.istio.io/v1")]
    [InlineData("networking.istio.io/v1beta1")]
    public void OnlyV1alpha3_IsAnEnvoyFilterVersion(string apiVersion)
    {
        var document = Parse($$$"""
            apiVersion: {{{apiVersion}}}
            kind: EnvoyFilter
            metadata: {name: ef, namespace: bookinfo}
            spec: {configPatches: []}
            """);

        Assert.Null(document.Value);
        Assert.Equal("apiVersion", document.Rejection!.Field);
        Assert.Contains("v1alpha3", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEnvoyFilter_TravelsThroughTheAssembler_TheClusterChanges_AndTheClusterIndex()
    {
        var assembler = new ConfigAssembler();
        var config = assembler.Assemble([KubernetesObjectParser.Parse("ef.yaml", LuaBeforeRouter)]);
        var changes = assembler.TakeChanges(full: false);
        var filter = Assert.Single(config.EnvoyFilters!);
        Assert.Same(filter, Assert.Single(changes.EnvoyFilters!));
        Assert.Contains(filter, changes.Upserted);
        Assert.Same(filter, Assert.Single(ClusterChanges.FullOf(config, Guid.NewGuid(), 0).EnvoyFilters!));

        var index = new ClusterIndex();
        var touched = index.Change(changes.Upserted, []);
        Assert.Empty(touched);
        Assert.Same(filter, Assert.Single(index.EnvoyFilters));

        assembler.Assemble([]);
        var removal = assembler.TakeChanges(full: false);
        Assert.Equal(new MeshObjectKey("EnvoyFilter", "bookinfo", "reviews-lua"), Assert.Single(removal.Deleted));
        index.Change([], removal.Deleted);
        Assert.Empty(index.EnvoyFilters);
    }

    [Fact]
    public void AnEnvoyFilter_CrossesGrainsIntact_ThroughOrleansSerializer()
    {
        var filter = Read(LuaBeforeRouter);
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

        var copy = serializer.Deserialize<ClusterChanges>(serializer.SerializeToArray(new ClusterChanges(Guid.NewGuid(), 1, false, [], [], [], [], null, [], []) { EnvoyFilters = [filter] }));

        Assert.NotNull(copy);
        var patch = Assert.Single(Assert.Single(copy.EnvoyFilters!).Patches);
        Assert.Equal(filter.Patches[0].Value, patch.Value);
        Assert.Equal(filter.Patches[0].Match.Listener, patch.Match.Listener);
        Assert.Equal(filter.WorkloadSelector, Assert.Single(copy.EnvoyFilters!).WorkloadSelector);
        Assert.Equal(filter.CreationTimestamp, Assert.Single(copy.EnvoyFilters!).CreationTimestamp);
    }

    private static string Filter(string patches) =>
        "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef, namespace: bookinfo}\nspec:\n  configPatches:\n"
        + string.Join('\n', patches.Split('\n').Select(line => "  " + line));

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("ef.yaml", yaml).Documents);

    private static EnvoyFilterSpec Read(string yaml)
    {
        var document = Parse(yaml);
        Assert.Null(document.Rejection);
        return Assert.IsType<EnvoyFilterSpec>(document.Value);
    }

    private static RejectedObject Reject(string yaml) => Parse(yaml).Rejection ?? throw new Xunit.Sdk.XunitException("the EnvoyFilter was accepted");
}
