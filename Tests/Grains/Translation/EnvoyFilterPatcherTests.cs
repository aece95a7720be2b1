using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.HeaderMutation.V3;
using Envoy.Extensions.Filters.Http.LocalRatelimit.V3;
using Envoy.Extensions.Filters.Http.Lua.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// EnvoyFilter patches applied to what the mesh generates for a sidecar (the outbound HTTP
/// listener <c>0.0.0.0_8080</c> and its route configuration <c>8080</c>, a TCP listener,
/// <c>virtualInbound</c>, outbound and inbound clusters) and a gateway: one test at least per
/// applyTo and supported operation, written from Istio's documentation examples, asserting on
/// the patched Envoy messages; then contexts, proxy matches, order, and patches that fail or
/// match nothing, which are reported and leave the configuration as it was.
/// </summary>
public sealed class EnvoyFilterPatcherTests
{
    private const string Reviews = "reviews.bookinfo.svc.cluster.local";
    private const string ReviewsCluster = "outbound|8080||" + Reviews;
    private const string ReviewsV2Cluster = "outbound|8080|v2|" + Reviews;
    private const string MongoCluster = "outbound|27017||mongo.db.svc.cluster.local";

    private static readonly PatchContext s_sidecar = new(ProxyKind.Sidecar, "1.24.2", new Dictionary<string, string> { ["ROLE"] = "app" });
    private static readonly PatchContext s_gateway = new(ProxyKind.Router, "1.24.2", new Dictionary<string, string>());

    // LISTENER

    [Fact]
    public void ListenerMerge_ByPort_SetsTheField_OnThatListenerOnly()
    {
        var result = Apply(Filter("""
            - applyTo: LISTENER
              match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 8080}}
              patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 1024}}
            """));

        Assert.Equal(1024u, Listener(result, "0.0.0.0_8080").PerConnectionBufferLimitBytes);
        Assert.Null(Listener(result, "10.0.0.5_27017").PerConnectionBufferLimitBytes);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void ListenerAdd_AppendsTheListener_Once()
    {
        var result = Apply(Filter("""
            - applyTo: LISTENER
              patch:
                operation: ADD
                value:
                  name: extra_9999
                  address: {socket_address: {address: 0.0.0.0, port_value: 9999}}
                  filter_chains:
                  - filters:
                    - name: envoy.filters.network.tcp_proxy
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: extra, cluster: PassthroughCluster}
            """));

        Assert.Equal("extra_9999", result.Listeners[^1].Name);
        Assert.Single(result.Listeners, l => l.Name == "extra_9999");
        Assert.Equal(Listeners().Count + 1, result.Listeners.Count);
    }

    [Fact]
    public void ListenerAdd_WithoutAnAddress_IsNotAdded_AndIsReported()
    {
        // Envoy rejects such a listener, and with it the whole listener update: the rest must keep serving.
        var result = Apply(Filter("""
            - applyTo: LISTENER
              patch: {operation: ADD, value: {name: nowhere_9999}}
            """));

        Assert.DoesNotContain(result.Listeners, l => l.Name == "nowhere_9999");
        Assert.Equal(Listeners().Count, result.Listeners.Count);
        Assert.Contains("has no address", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterAdd_OfTypeEdsWithoutItsConfig_IsNotAdded_AndIsReported()
    {
        var result = Apply(Filter("""
            - applyTo: CLUSTER
              patch: {operation: ADD, value: {name: half-eds, type: EDS, connect_timeout: 1s}}
            - applyTo: CLUSTER
              patch: {operation: ADD, value: {name: whole-eds, type: EDS, connect_timeout: 1s, eds_cluster_config: {eds_config: {ads: {}}}}}
            """));

        Assert.DoesNotContain(result.Clusters, c => c.Name == "half-eds");
        Assert.Contains(result.Clusters, c => c.Name == "whole-eds");
        Assert.Contains("without eds_cluster_config", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ListenerRemove_ByName_DropsIt()
    {
        var result = Apply(Filter("""
            - applyTo: LISTENER
              match: {listener: {name: 10.0.0.5_27017}}
              patch: {operation: REMOVE}
            """));

        Assert.DoesNotContain(result.Listeners, l => l.Name == "10.0.0.5_27017");
        Assert.Equal(Listeners().Count - 1, result.Listeners.Count);
    }

    // FILTER_CHAIN

    [Fact]
    public void FilterChainMerge_OnVirtualInbound_MatchesTheChainByDestinationPort()
    {
        var result = Apply(Filter("""
            - applyTo: FILTER_CHAIN
              match: {context: SIDECAR_INBOUND, listener: {portNumber: 9080}}
              patch: {operation: MERGE, value: {transport_socket_connect_timeout: 3s}}
            """));

        var inbound = Listener(result, SidecarTranslator.VirtualInbound);
        Assert.Equal(3, inbound.FilterChains.Single(c => c.FilterChainMatch.DestinationPort == 9080).TransportSocketConnectTimeout.Seconds);
        Assert.All(inbound.FilterChains.Where(c => c.FilterChainMatch.DestinationPort != 9080), c => Assert.Null(c.TransportSocketConnectTimeout));
    }

    [Fact]
    public void FilterChainAdd_AppendsAChain_ToTheMatchedListener()
    {
        var result = Apply(Filter("""
            - applyTo: FILTER_CHAIN
              match: {listener: {name: 10.0.0.5_27017}}
              patch:
                operation: ADD
                value:
                  name: extra
                  filter_chain_match: {transport_protocol: tls}
                  filters:
                  - name: envoy.filters.network.tcp_proxy
                    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: extra, cluster: BlackHoleCluster}
            """));

        var chains = Listener(result, "10.0.0.5_27017").FilterChains;
        Assert.Equal(2, chains.Count);
        Assert.Equal("extra", chains[1].Name);
    }

    [Fact]
    public void FilterChainRemove_ByName_DropsThatChain()
    {
        var result = Apply(Filter("""
            - applyTo: FILTER_CHAIN
              match: {context: SIDECAR_INBOUND, listener: {filterChain: {name: virtualInbound-catchall-tcp}}}
              patch: {operation: REMOVE}
            """));

        var inbound = Listener(result, SidecarTranslator.VirtualInbound);
        Assert.DoesNotContain(inbound.FilterChains, c => c.Name == "virtualInbound-catchall-tcp");
        Assert.Equal(Listener(Listeners(), SidecarTranslator.VirtualInbound).FilterChains.Count - 1, inbound.FilterChains.Count);
    }

    // NETWORK_FILTER

    [Fact]
    public void NetworkFilterMerge_IntoTheHttpConnectionManager_SetsIdleTimeout()
    {
        // Istio's docs: "merge idle_timeout into the HTTP connection manager".
        var result = Apply(Filter("""
            - applyTo: NETWORK_FILTER
              match: {context: SIDECAR_OUTBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch:
                operation: MERGE
                value:
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                    common_http_protocol_options: {idle_timeout: 30s}
            """));

        var manager = Manager(Listener(result, "0.0.0.0_8080"));
        Assert.Equal(30, manager.CommonHttpProtocolOptions.IdleTimeout.Seconds);
        Assert.Equal(Manager(Listener(Listeners(), "0.0.0.0_8080")).HttpFilters.Select(f => f.Name), manager.HttpFilters.Select(f => f.Name));
        Assert.Equal(Manager(Listener(Listeners(), "0.0.0.0_8080")).Rds, manager.Rds);
        Assert.Null(Manager(Listener(result, SidecarTranslator.VirtualInbound).FilterChains[0]).CommonHttpProtocolOptions);
    }

    [Theory]
    [InlineData("ADD", new[] { "envoy.filters.network.tcp_proxy", "extra" })]
    [InlineData("INSERT_FIRST", new[] { "extra", "envoy.filters.network.tcp_proxy" })]
    [InlineData("INSERT_BEFORE", new[] { "extra", "envoy.filters.network.tcp_proxy" })]
    [InlineData("INSERT_AFTER", new[] { "envoy.filters.network.tcp_proxy", "extra" })]
    public void NetworkFilterListOperations_PlaceTheFilter(string operation, string[] expected)
    {
        var result = Apply(Filter("""
            - applyTo: NETWORK_FILTER
              match: {listener: {name: 10.0.0.5_27017, filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
              patch:
                operation: OPERATION
                value:
                  name: extra
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: extra, cluster: BlackHoleCluster}
            """.Replace("OPERATION", operation, StringComparison.Ordinal)));

        Assert.Equal(expected, Listener(result, "10.0.0.5_27017").FilterChains[0].Filters.Select(f => f.Name));
    }

    [Fact]
    public void NetworkFilterReplace_SwapsTheMatchedFilter()
    {
        var result = Apply(Filter("""
            - applyTo: NETWORK_FILTER
              match: {listener: {portNumber: 27017, filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
              patch:
                operation: REPLACE
                value:
                  name: envoy.filters.network.tcp_proxy
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: replaced, cluster: BlackHoleCluster}
            """));

        var proxy = Assert.Single(Listener(result, "10.0.0.5_27017").FilterChains[0].Filters).TypedConfig.Unpack<TcpProxy>();
        Assert.Equal(("replaced", "BlackHoleCluster"), (proxy.StatPrefix, proxy.Cluster));
    }

    [Fact]
    public void NetworkFilterRemove_DropsTheNamedFilter_OnlyWhereTheListenerMatches()
    {
        var result = Apply(Filter("""
            - applyTo: NETWORK_FILTER
              match: {context: SIDECAR_INBOUND, listener: {portNumber: 5000, filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
              patch: {operation: REMOVE}
            """));

        var inbound = Listener(result, SidecarTranslator.VirtualInbound);
        Assert.Empty(inbound.FilterChains.Single(c => c.FilterChainMatch.DestinationPort == 5000).Filters);
        Assert.Single(Listener(result, "10.0.0.5_27017").FilterChains[0].Filters);
        Assert.Single(inbound.FilterChains.Single(c => c.Name == "virtualInbound-catchall-tcp").Filters);
    }

    // HTTP_FILTER

    [Fact]
    public void HttpFilterInsertBefore_PutsLuaBeforeTheRouter()
    {
        // Istio's docs: a Lua filter on the reviews workload's inbound HTTP, before the router.
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match:
                context: SIDECAR_INBOUND
                listener:
                  portNumber: 9080
                  filterChain:
                    filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}
              patch:
                operation: INSERT_BEFORE
                value:
                  name: envoy.lua
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                    default_source_code: {inline_string: "function envoy_on_request(h) h:headers():add('x-lua', 'in') end"}
            """));

        var inbound = Listener(result, SidecarTranslator.VirtualInbound);
        var filters = Manager(inbound.FilterChains.Single(c => c.FilterChainMatch.DestinationPort == 9080)).HttpFilters;
        Assert.Equal(["envoy.lua", ListenerTranslator.RouterFilterName], filters.Select(f => f.Name).TakeLast(2));
        Assert.Contains("x-lua", filters[^2].TypedConfig.Unpack<Lua>().DefaultSourceCode.InlineString, StringComparison.Ordinal);
        Assert.DoesNotContain(Manager(Listener(result, "0.0.0.0_8080")).HttpFilters, f => f.Name == "envoy.lua");
    }

    [Fact]
    public void HttpFilterInsertFirst_PutsTheLocalRateLimitFirst()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match: {context: SIDECAR_OUTBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch:
                operation: INSERT_FIRST
                value:
                  name: envoy.filters.http.local_ratelimit
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                    stat_prefix: http_local_rate_limiter
                    token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 60s}
            """));

        var first = Manager(Listener(result, "0.0.0.0_8080")).HttpFilters[0];
        Assert.Equal("envoy.filters.http.local_ratelimit", first.Name);
        Assert.Equal(10u, first.TypedConfig.Unpack<LocalRateLimit>().TokenBucket.MaxTokens);
    }

    [Fact]
    public void HttpFilterInsertAfter_AndAdd_PlaceTheFilterAfterTheMatchOrLast()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.fault}}}}}
              patch: {operation: INSERT_AFTER, value: {name: after-fault, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}}}
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch: {operation: ADD, value: {name: last, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}}}
            """));

        Assert.Equal(
            [RouteTranslator.FaultFilter, "after-fault", RouteTranslator.CorsFilter, ListenerTranslator.RouterFilterName, "last"],
            Manager(Listener(result, "0.0.0.0_8080")).HttpFilters.Select(f => f.Name));
    }

    [Fact]
    public void HttpFilterRemove_AndReplace_ActOnTheNamedFilter()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.cors}}}}}
              patch: {operation: REMOVE}
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.fault}}}}}
              patch:
                operation: REPLACE
                value:
                  name: envoy.filters.http.header_mutation
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                    mutations: {response_mutations: [{remove: server}]}
            """));

        var filters = Manager(Listener(result, "0.0.0.0_8080")).HttpFilters;
        Assert.Equal(["envoy.filters.http.header_mutation", ListenerTranslator.RouterFilterName], filters.Select(f => f.Name));
        Assert.Equal("server", filters[0].TypedConfig.Unpack<HeaderMutation>().Mutations.ResponseMutations[0].Remove);
    }

    [Fact]
    public void HttpFilterMerge_MergesTheRoutersTypedConfig()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match: {context: SIDECAR_OUTBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
              patch:
                operation: MERGE
                value:
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, suppress_envoy_headers: true, strict_check_headers: [x-envoy-upstream-rq-timeout-ms]}
            """));

        var router = Manager(Listener(result, "0.0.0.0_8080")).HttpFilters.Single(f => f.Name == ListenerTranslator.RouterFilterName).TypedConfig.Unpack<Router>();
        Assert.True(router.SuppressEnvoyHeaders);
        Assert.Equal(["x-envoy-upstream-rq-timeout-ms"], router.StrictCheckHeaders);
        Assert.Empty(result.Problems);
    }

    // ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE

    [Fact]
    public void RouteConfigurationMerge_ByPort_AddsResponseHeaders()
    {
        var result = Apply(Filter("""
            - applyTo: ROUTE_CONFIGURATION
              match: {context: SIDECAR_OUTBOUND, routeConfiguration: {portNumber: 8080}}
              patch:
                operation: MERGE
                value:
                  response_headers_to_add: [{header: {key: x-mesh, value: orleans}}]
                  max_direct_response_body_size_bytes: 4096
            """));

        var route = Assert.Single(result.RouteConfigurations);
        Assert.Equal("x-mesh", Assert.Single(route.ResponseHeadersToAdd).Header.Key);
        Assert.Equal(4096u, route.MaxDirectResponseBodySizeBytes);
        Assert.Equal(Routes()[0].VirtualHosts, route.VirtualHosts);
    }

    [Fact]
    public void VirtualHostAdd_AndRemove()
    {
        var result = Apply(Filter("""
            - applyTo: VIRTUAL_HOST
              match: {routeConfiguration: {vhost: {name: allow_any}}}
              patch: {operation: REMOVE}
            - applyTo: VIRTUAL_HOST
              match: {routeConfiguration: {name: "8080"}}
              patch:
                operation: ADD
                value:
                  name: static
                  domains: [static.example.com]
                  routes: [{match: {prefix: /}, direct_response: {status: 200}}]
            """));

        Assert.Equal([Reviews + ":8080", "static"], Assert.Single(result.RouteConfigurations).VirtualHosts.Select(h => h.Name));
    }

    [Fact]
    public void VirtualHostMerge_ByDomain_AndReplace_ByName()
    {
        var result = Apply(Filter("""
            - applyTo: VIRTUAL_HOST
              match: {routeConfiguration: {vhost: {domainName: reviews.bookinfo.svc.cluster.local}}}
              patch: {operation: MERGE, value: {include_attempt_count_in_response: true, domains: [reviews.internal]}}
            - applyTo: VIRTUAL_HOST
              match: {routeConfiguration: {vhost: {name: allow_any}}}
              patch:
                operation: REPLACE
                value: {name: block_all, domains: ["*"], routes: [{name: block_all, match: {prefix: /}, direct_response: {status: 502}}]}
            """));

        var hosts = Assert.Single(result.RouteConfigurations).VirtualHosts;
        Assert.True(hosts[0].IncludeAttemptCountInResponse);
        Assert.Equal([Reviews, "reviews.internal"], hosts[0].Domains);
        Assert.Equal("block_all", hosts[1].Name);
        Assert.Equal(502u, hosts[1].Routes[0].DirectResponse.Status);
    }

    [Fact]
    public void HttpRouteMerge_SetsTheTimeout_OfTheNamedRoute()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {name: "reviews.bookinfo.svc.cluster.local:8080", route: {name: default}}}}
              patch: {operation: MERGE, value: {route: {timeout: 2.5s}}}
            """));

        var routes = Assert.Single(result.RouteConfigurations).VirtualHosts[0].Routes;
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(2.5)), routes.Single(r => r.Name == "default").Route_.Timeout);
        Assert.Equal(ReviewsCluster, routes.Single(r => r.Name == "default").Route_.Cluster);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(10)), routes.Single(r => r.Name == "jason").Route_.Timeout);
    }

    [Theory]
    [InlineData("ADD", "route: {name: default}", new[] { "jason", "default", "added" })]
    [InlineData("INSERT_BEFORE", "route: {name: default}", new[] { "jason", "added", "default" })]
    [InlineData("INSERT_AFTER", "route: {name: jason}", new[] { "jason", "added", "default" })]
    [InlineData("INSERT_FIRST", "route: {name: default}", new[] { "added", "jason", "default" })]
    [InlineData("INSERT_BEFORE", "name: " + Reviews + ":8080", new[] { "added", "jason", "default" })]
    [InlineData("INSERT_AFTER", "name: " + Reviews + ":8080", new[] { "jason", "default", "added" })]
    public void HttpRouteListOperations_PlaceTheRoute(string operation, string vhostMatch, string[] expected)
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {VHOST}}}
              patch: {operation: OPERATION, value: {name: added, match: {prefix: /health}, direct_response: {status: 200}}}
            """.Replace("OPERATION", operation, StringComparison.Ordinal).Replace("VHOST", vhostMatch, StringComparison.Ordinal)));

        Assert.Equal(expected, Assert.Single(result.RouteConfigurations).VirtualHosts[0].Routes.Select(r => r.Name));
    }

    [Fact]
    public void HttpRouteRemove_DropsTheMatchedRoutes_ByAction()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {name: allow_any, route: {action: ROUTE}}}}
              patch: {operation: REMOVE}
            """));

        var hosts = Assert.Single(result.RouteConfigurations).VirtualHosts;
        Assert.Empty(hosts.Single(h => h.Name == "allow_any").Routes);
        Assert.Equal(2, hosts[0].Routes.Count);
    }

    // CLUSTER

    [Fact]
    public void ClusterMerge_ByServiceAndSubset_ReplacesTheConnectTimeoutWhole()
    {
        var result = Apply(Filter("""
            - applyTo: CLUSTER
              match: {context: SIDECAR_OUTBOUND, cluster: {service: reviews.bookinfo.svc.cluster.local, subset: v2, portNumber: 8080}}
              patch: {operation: MERGE, value: {connect_timeout: 0.5s, per_connection_buffer_limit_bytes: 32768}}
            """));

        var v2 = result.Clusters.Single(c => c.Name == ReviewsV2Cluster);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)), v2.ConnectTimeout);
        Assert.Equal(32768u, v2.PerConnectionBufferLimitBytes);
        Assert.Equal(Duration.FromTimeSpan(ClusterTranslator.ConnectTimeout), result.Clusters.Single(c => c.Name == ReviewsCluster).ConnectTimeout);
    }

    [Fact]
    public void ClusterAdd_AndRemove_ByName()
    {
        var result = Apply(Filter("""
            - applyTo: CLUSTER
              match: {cluster: {name: "inbound|9080||"}}
              patch: {operation: REMOVE}
            - applyTo: CLUSTER
              patch:
                operation: ADD
                value:
                  name: ext-authz
                  type: STRICT_DNS
                  connect_timeout: 1s
                  load_assignment:
                    cluster_name: ext-authz
                    endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: ext-authz.foo.svc.cluster.local, port_value: 9000}}}}]}]
            """));

        Assert.Equal([ReviewsCluster, ReviewsV2Cluster, "ext-authz"], result.Clusters.Select(c => c.Name));
        Assert.Equal(Cluster.Types.DiscoveryType.StrictDns, result.Clusters[2].Type);
    }

    // Contexts, proxies, order

    [Fact]
    public void SidecarInboundPatches_LeaveTheOutboundSideAlone_AndTheReverse()
    {
        var result = Apply(Filter("""
            - applyTo: CLUSTER
              match: {context: SIDECAR_INBOUND}
              patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 1}}
            - applyTo: LISTENER
              match: {context: SIDECAR_OUTBOUND}
              patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 2}}
            """));

        Assert.Equal([null, null, 1u], result.Clusters.Select(c => c.PerConnectionBufferLimitBytes));
        Assert.Equal([2u, 2u, null], result.Listeners.Select(l => l.PerConnectionBufferLimitBytes));
    }

    [Fact]
    public void GatewayPatches_ApplyToGateways_AndAreReportedAsMatchingNothingOnASidecar()
    {
        var filter = Filter("""
            - applyTo: ROUTE_CONFIGURATION
              match: {context: GATEWAY, routeConfiguration: {portNumber: 8080}}
              patch: {operation: MERGE, value: {request_headers_to_remove: [x-internal]}}
            """);
        var gatewayRoute = new RouteConfiguration { Name = "http.8080" };
        gatewayRoute.VirtualHosts.Add(SidecarTranslator.CatchAll(registryOnly: true));

        var onGateway = EnvoyFilterPatcher.Apply(s_gateway, [filter], [], [gatewayRoute], []);
        var onSidecar = Apply(filter);

        Assert.Equal(["x-internal"], Assert.Single(onGateway.RouteConfigurations).RequestHeadersToRemove);
        Assert.Empty(onGateway.Problems);
        Assert.Equal(Routes(), onSidecar.RouteConfigurations);
        Assert.Contains("matched nothing", Assert.Single(onSidecar.Problems).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{proxyVersion: '^1\\.24.*'}", true)]
    [InlineData("{proxyVersion: '^1\\.25.*'}", false)]
    [InlineData("{metadata: {ROLE: app}}", true)]
    [InlineData("{metadata: {ROLE: gateway}}", false)]
    [InlineData("{metadata: {MISSING: x}}", false)]
    public void ProxyMatch_OnVersionAndMetadata_DecidesWhetherThePatchApplies(string proxy, bool applies)
    {
        var result = Apply(Filter("""
            - applyTo: CLUSTER
              match: {proxy: PROXY}
              patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 7}}
            """.Replace("PROXY", proxy, StringComparison.Ordinal)));

        Assert.Equal(applies, result.Clusters.All(c => c.PerConnectionBufferLimitBytes == 7));
        Assert.Equal(applies, result.Problems.Count == 0);
        Assert.Equal(applies ? result.Clusters : Clusters(), result.Clusters);
    }

    [Fact]
    public void Filters_ApplyByPriority_ThenRootNamespaceFirst_ThenCreationTime()
    {
        static EnvoyFilterSpec First(string ns, string name, int priority, string created) => Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch: {operation: INSERT_FIRST, value: {name: NAME, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}}}
            """.Replace("NAME", name, StringComparison.Ordinal), ns, name, priority, created);

        // Each INSERT_FIRST puts itself first, so the last applied ends first.
        var filters = new[]
        {
            First("bookinfo", "late", 0, "2026-01-02T00:00:00Z"),
            First("bookinfo", "early", 0, "2026-01-01T00:00:00Z"),
            First("istio-system", "root", 0, "2026-06-01T00:00:00Z"),
            First("bookinfo", "before-all", -10, "2026-12-01T00:00:00Z"),
            First("bookinfo", "after-all", 10, "2025-01-01T00:00:00Z"),
        };

        var result = EnvoyFilterPatcher.Apply(s_sidecar, filters, Listeners(), [], []);

        Assert.Equal(["after-all", "late", "early", "root", "before-all"], Manager(Listener(result, "0.0.0.0_8080")).HttpFilters.Select(f => f.Name).Take(5));
        Assert.Equal(["before-all", "root", "early", "late", "after-all"], EnvoyFilterPatcher.Order(filters, "istio-system").Select(f => f.Name));
    }

    // Failures

    [Fact]
    public void AMergeOfAnotherTypedConfigType_IsReported_AndLeavesTheFilterUnchanged_WhileOtherPatchesApply()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
              patch: {operation: MERGE, value: {name: renamed, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, stat_prefix: x}}}
            - applyTo: CLUSTER
              patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 9}}
            """));

        var router = Manager(Listener(result, "0.0.0.0_8080")).HttpFilters.Last();
        Assert.Equal(ListenerTranslator.RouterFilterName, router.Name);
        Assert.Equal(Any.Pack(new Router()), router.TypedConfig);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(("bookinfo", "ef", 0), (problem.Namespace, problem.Name, problem.Patch));
        Assert.Contains("envoy.extensions.filters.http.router.v3.Router", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("envoy.extensions.filters.http.lua.v3.Lua", problem.Reason, StringComparison.Ordinal);
        Assert.All(result.Clusters, c => Assert.Equal(9u, c.PerConnectionBufferLimitBytes));
    }

    [Fact]
    public void APatchThatMatchesNothing_IsReported_AndTheConfigurationIsUnchanged()
    {
        var result = Apply(Filter("""
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {name: nowhere}}}
              patch: {operation: MERGE, value: {route: {timeout: 1s}}}
            - applyTo: NETWORK_FILTER
              match: {listener: {filterChain: {filter: {name: envoy.filters.network.redis_proxy}}}}
              patch: {operation: INSERT_BEFORE, value: {name: never}}
            """));

        Assert.Equal([0, 1], result.Problems.Select(p => p.Patch));
        Assert.All(result.Problems, p => Assert.Contains("matched nothing", p.Reason, StringComparison.Ordinal));
        Assert.Equal(Listeners(), result.Listeners);
        Assert.Equal(Routes(), result.RouteConfigurations);
        Assert.Equal(Clusters(), result.Clusters);
    }

    [Fact]
    public void AValueThatNoLongerParses_IsReported_AndNotApplied()
    {
        var broken = new EnvoyFilterSpec("bookinfo", "broken", null, 0,
        [
            new EnvoyFilterPatchSpec(EnvoyFilterApplyTo.Cluster, EnvoyFilterMatchSpec.Anything, EnvoyFilterOperation.Merge,
                new EnvoyFilterValue("{\"no_such_field\": 1}", Cluster.Descriptor.FullName, null)),
        ]);

        var result = EnvoyFilterPatcher.Apply(s_sidecar, [broken], Listeners(), Routes(), Clusters());

        Assert.Contains("does not parse", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
        Assert.Equal(Clusters(), result.Clusters);
    }

    [Fact]
    public void TheInputs_AreNeverModified()
    {
        var listeners = Listeners();
        var routes = Routes();
        var clusters = Clusters();
        var before = listeners.Select(l => l.ToByteString()).Concat(routes.Select(r => r.ToByteString())).Concat(clusters.Select(c => c.ToByteString())).ToList();

        EnvoyFilterPatcher.Apply(s_sidecar, [Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch: {operation: INSERT_FIRST, value: {name: lua, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}}}
            - applyTo: VIRTUAL_HOST
              patch: {operation: MERGE, value: {domains: [extra]}}
            - applyTo: CLUSTER
              patch: {operation: MERGE, value: {connect_timeout: 1s}}
            - applyTo: LISTENER
              patch: {operation: REMOVE}
            """)], listeners, routes, clusters);

        Assert.Equal(before, listeners.Select(l => l.ToByteString()).Concat(routes.Select(r => r.ToByteString())).Concat(clusters.Select(c => c.ToByteString())));
    }

    [Fact]
    public void AProxylessClient_IsNotPatched()
    {
        var result = EnvoyFilterPatcher.Apply(s_sidecar with { Kind = ProxyKind.Proxyless }, [Filter("""
            - applyTo: CLUSTER
              patch: {operation: MERGE, value: {connect_timeout: 1s}}
            """)], Listeners(), Routes(), Clusters());

        Assert.Equal(Clusters(), result.Clusters);
        Assert.Contains("proxyless", Assert.Single(result.Problems).Reason, StringComparison.Ordinal);
    }

    /// <summary>What the mesh generates for a sidecar beside reviews (HTTP 9080, TCP 5000) calling reviews on 8080 and mongo on 27017.</summary>
    internal static List<Listener> Listeners() =>
    [
        SidecarTranslator.HttpListener(8080, registryOnly: false),
        SidecarTranslator.TcpListener("10.0.0.5", 27017, MongoCluster),
        WorkloadTranslator.VirtualInbound([new WorkloadPort(9080, MeshProtocol.Http), new WorkloadPort(5000, MeshProtocol.Tcp)]),
    ];

    /// <summary>The sidecar's route configuration <c>8080</c>: reviews (a header route to v2, then the default), then the catch-all.</summary>
    internal static List<RouteConfiguration> Routes()
    {
        var host = new VirtualHost { Name = Reviews + ":8080" };
        host.Domains.Add(Reviews);
        var jason = new Route { Name = "jason", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = ReviewsV2Cluster, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) } };
        jason.Match.Headers.Add(new HeaderMatcher { Name = "end-user", StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Exact = "jason" } });
        host.Routes.Add(jason);
        host.Routes.Add(new Route { Name = "default", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = ReviewsCluster, Timeout = Duration.FromTimeSpan(TimeSpan.Zero) } });
        var route = new RouteConfiguration { Name = "8080", ValidateClusters = false };
        route.VirtualHosts.Add(host);
        route.VirtualHosts.Add(SidecarTranslator.CatchAll(registryOnly: false));
        return [route];
    }

    /// <summary>The sidecar's clusters: reviews, its subset v2, and the inbound cluster of 9080.</summary>
    internal static List<Cluster> Clusters() =>
    [
        ClusterTranslator.BuildOutbound(ReviewsCluster, shape: ClusterShape.Envoy),
        ClusterTranslator.BuildOutbound(ReviewsV2Cluster, shape: ClusterShape.Envoy),
        WorkloadTranslator.InboundClusterOf(9080),
    ];

    /// <summary>An EnvoyFilter with <paramref name="patches"/> (the YAML list under <c>configPatches</c>), read by the mesh's parser.</summary>
    internal static EnvoyFilterSpec Filter(string patches, string ns = "bookinfo", string name = "ef", int priority = 0, string? created = null)
    {
        var yaml = $"apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {{name: {name}, namespace: {ns}{(created is null ? string.Empty : $", creationTimestamp: \"{created}\"")}}}\n"
            + $"spec:\n  priority: {priority}\n  configPatches:\n" + string.Join('\n', patches.Split('\n').Select(line => "  " + line));
        var document = Assert.Single(KubernetesObjectParser.Parse("ef.yaml", yaml).Documents);
        Assert.Null(document.Rejection);
        return Assert.IsType<EnvoyFilterSpec>(document.Value);
    }

    private static EnvoyFilterPatchResult Apply(EnvoyFilterSpec filter) => EnvoyFilterPatcher.Apply(s_sidecar, [filter], Listeners(), Routes(), Clusters());

    private static Listener Listener(EnvoyFilterPatchResult result, string name) => Listener(result.Listeners, name);

    private static Listener Listener(IEnumerable<Listener> listeners, string name) => listeners.Single(l => l.Name == name);

    private static HttpConnectionManager Manager(Listener listener) => Manager(listener.FilterChains[0]);

    private static HttpConnectionManager Manager(FilterChain chain) =>
        chain.Filters.Single(f => f.Name == EnvoyFilterPatcher.HttpConnectionManager).TypedConfig.Unpack<HttpConnectionManager>();
}
