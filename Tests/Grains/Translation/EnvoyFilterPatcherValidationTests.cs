using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// What <see cref="EnvoyFilterPatcher"/> makes of a sidecar's configuration under the patches
/// operators apply most (Lua, local rate limit, ext_authz, header mutation, an idle timeout, a
/// route timeout, an added route, virtual host and cluster) checked against Envoy's own validate
/// rules, unpacking every typed_config; and a patch Envoy would refuse, caught by them.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class EnvoyFilterPatcherValidationTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private static readonly PatchContext s_sidecar = new(ProxyKind.Sidecar, "1.24.2", new Dictionary<string, string>());

    [Fact]
    public async Task APatchedSidecarConfiguration_PassesEnvoysValidateRules()
    {
        var filter = EnvoyFilterPatcherTests.Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
              patch:
                operation: INSERT_BEFORE
                value:
                  name: envoy.lua
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                    default_source_code: {inline_string: "function envoy_on_response(h) h:headers():add('x-lua', '1') end"}
            - applyTo: HTTP_FILTER
              match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch:
                operation: INSERT_FIRST
                value:
                  name: envoy.filters.http.local_ratelimit
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                    stat_prefix: http_local_rate_limiter
                    token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 60s}
                    filter_enabled: {runtime_key: local_rate_limit_enabled, default_value: {numerator: 100, denominator: HUNDRED}}
                    filter_enforced: {runtime_key: local_rate_limit_enforced, default_value: {numerator: 100, denominator: HUNDRED}}
                    descriptors: [{entries: [{key: path, value: /login}], token_bucket: {max_tokens: 2, fill_interval: 1s}}]
            - applyTo: HTTP_FILTER
              match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
              patch:
                operation: INSERT_BEFORE
                value:
                  name: envoy.filters.http.ext_authz
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                    transport_api_version: V3
                    grpc_service: {envoy_grpc: {cluster_name: ext-authz}, timeout: 0.5s}
                    with_request_body: {max_request_bytes: 8192}
                    status_on_error: {code: ServiceUnavailable}
            - applyTo: HTTP_FILTER
              match: {context: SIDECAR_OUTBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.cors}}}}}
              patch:
                operation: INSERT_AFTER
                value:
                  name: envoy.filters.http.header_mutation
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                    mutations:
                      request_mutations: [{remove: x-debug}, {append: {header: {key: x-mesh, value: orleans}, append_action: OVERWRITE_IF_EXISTS_OR_ADD}}]
            - applyTo: NETWORK_FILTER
              match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch:
                operation: MERGE
                value:
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                    common_http_protocol_options: {idle_timeout: 30s}
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {name: "reviews.bookinfo.svc.cluster.local:8080", route: {name: default}}}}
              patch: {operation: MERGE, value: {route: {timeout: 2s}}}
            - applyTo: HTTP_ROUTE
              match: {routeConfiguration: {vhost: {name: "reviews.bookinfo.svc.cluster.local:8080"}}}
              patch: {operation: INSERT_FIRST, value: {name: health, match: {path: /healthz}, direct_response: {status: 200}}}
            - applyTo: VIRTUAL_HOST
              match: {routeConfiguration: {portNumber: 8080}}
              patch: {operation: ADD, value: {name: static, domains: [static.example.com], routes: [{match: {prefix: /}, direct_response: {status: 404}}]}}
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
            - applyTo: CLUSTER
              match: {cluster: {service: reviews.bookinfo.svc.cluster.local}}
              patch: {operation: MERGE, value: {connect_timeout: 0.25s}}
            """);
        var before = validation.CheckedRules;

        var result = EnvoyFilterPatcher.Apply(s_sidecar, [filter], EnvoyFilterPatcherTests.Listeners(), EnvoyFilterPatcherTests.Routes(), EnvoyFilterPatcherTests.Clusters());

        Assert.Empty(result.Problems);
        var violations = new List<string>();
        foreach (var message in result.Listeners.Cast<IMessage>().Concat(result.RouteConfigurations).Concat(result.Clusters))
        {
            violations.AddRange(await validation.ValidateAsync(message));
        }

        Assert.Empty(violations);
        Assert.True(validation.CheckedRules - before >= 100, $"only {validation.CheckedRules - before} rules were evaluated");
    }

    [Fact]
    public async Task APatchEnvoyWouldRefuse_IsCaughtByItsRules()
    {
        var filter = EnvoyFilterPatcherTests.Filter("""
            - applyTo: HTTP_FILTER
              match: {listener: {portNumber: 8080, filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
              patch:
                operation: INSERT_FIRST
                value:
                  name: envoy.filters.http.local_ratelimit
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                    stat_prefix: limited
                    token_bucket: {max_tokens: 0, fill_interval: 1s}
            """);

        var result = EnvoyFilterPatcher.Apply(s_sidecar, [filter], EnvoyFilterPatcherTests.Listeners(), [], []);
        var violations = await validation.ValidateAsync(result.Listeners.Single(l => l.Name == "0.0.0.0_8080"));

        Assert.Contains(violations, v => v.Contains("max_tokens", StringComparison.Ordinal));
    }
}
