namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A config dump of one sidecar written by hand in the shape of Envoy's admin <c>/config_dump</c>
/// (envoy/admin/v3/config_dump.proto and config_dump_shared.proto, proto field names as Envoy
/// prints them): what <c>/debug/config_dump?proxyID=...</c> answers, with Istio's cluster names,
/// listeners, routes and (with <c>include_eds</c>) endpoints.
/// </summary>
public static class RecordedConfigDump
{
    /// <summary>The proxy the dump is of.</summary>
    public const string NodeId = "sidecar~10.244.0.12~reviews-v1-7f99.default~default.svc.cluster.local";

    private const string Bootstrap = """
        {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": {}}
        """;

    private const string Clusters = """
        {
          "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
          "version_info": "2026-11-26T10:00:00Z/12",
          "static_clusters": [
            {"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "BlackHoleCluster", "connect_timeout": "10s"}}
          ],
          "dynamic_active_clusters": [
            {
              "version_info": "a1b2",
              "cluster": {
                "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                "name": "outbound|9080||reviews.default.svc.cluster.local",
                "type": "EDS",
                "eds_cluster_config": {"eds_config": {"ads": {}, "resource_api_version": "V3"}, "service_name": "outbound|9080||reviews.default.svc.cluster.local"},
                "connect_timeout": "10s",
                "metadata": {"filter_metadata": {"istio": {"config": "/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews", "services": [{"host": "reviews.default.svc.cluster.local", "name": "reviews", "namespace": "default"}]}}}
              },
              "last_updated": "2026-11-26T10:00:00.100Z"
            },
            {
              "version_info": "c3d4",
              "cluster": {
                "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                "name": "outbound|9080|v1|reviews.default.svc.cluster.local",
                "type": "EDS",
                "metadata": {"filter_metadata": {"istio": {"config": "/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews"}}}
              }
            },
            {
              "version_info": "e5f6",
              "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "outbound|9080||ratings.default.svc.cluster.local", "type": "EDS"}
            },
            {
              "version_info": "0a0b",
              "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "inbound|9080||", "type": "STATIC"}
            },
            {
              "version_info": "0c0d",
              "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "PassthroughCluster", "type": "ORIGINAL_DST", "lb_policy": "CLUSTER_PROVIDED"}
            }
          ]
        }
        """;

    private const string Endpoints = """
        {
          "@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
          "dynamic_endpoint_configs": [
            {
              "version_info": "11",
              "endpoint_config": {
                "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                "cluster_name": "outbound|9080||reviews.default.svc.cluster.local",
                "endpoints": [
                  {
                    "locality": {"region": "eu", "zone": "eu-1"},
                    "lb_endpoints": [
                      {"endpoint": {"address": {"socket_address": {"address": "10.244.0.13", "port_value": 9080}}}, "health_status": "UNHEALTHY"},
                      {"endpoint": {"address": {"socket_address": {"address": "10.244.0.12", "port_value": 9080}}}, "health_status": "HEALTHY", "load_balancing_weight": 1}
                    ]
                  }
                ]
              }
            },
            {
              "version_info": "12",
              "endpoint_config": {
                "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                "cluster_name": "outbound|9080||ratings.default.svc.cluster.local",
                "endpoints": [{"lb_endpoints": [
                  {"endpoint": {"address": {"socket_address": {"address": "10.244.0.20", "port_value": 9080}}}},
                  {"endpoint": {"address": {"pipe": {"path": "/var/run/ratings.sock"}}}, "health_status": "DRAINING"}
                ]}]
              }
            }
          ]
        }
        """;

    private const string Listeners = """
        {
          "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
          "version_info": "2026-11-26T10:00:00Z/12",
          "dynamic_listeners": [
            {
              "name": "virtualOutbound",
              "active_state": {
                "version_info": "l1",
                "listener": {
                  "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                  "name": "virtualOutbound",
                  "address": {"socket_address": {"address": "0.0.0.0", "port_value": 15001}},
                  "filter_chains": [
                    {"filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "stat_prefix": "PassthroughCluster", "cluster": "PassthroughCluster"}}], "name": "virtualOutbound-catchall-tcp"}
                  ],
                  "use_original_dst": true
                }
              }
            },
            {
              "name": "0.0.0.0_9080",
              "active_state": {
                "version_info": "l2",
                "listener": {
                  "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                  "name": "0.0.0.0_9080",
                  "address": {"socket_address": {"address": "0.0.0.0", "port_value": 9080}},
                  "filter_chains": [
                    {
                      "filter_chain_match": {"application_protocols": ["http/1.0", "http/1.1", "h2c"]},
                      "filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", "stat_prefix": "outbound_0.0.0.0_9080", "rds": {"config_source": {"ads": {}, "resource_api_version": "V3"}, "route_config_name": "9080"}}}]
                    }
                  ],
                  "default_filter_chain": {"filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "stat_prefix": "PassthroughCluster", "cluster": "PassthroughCluster"}}], "name": "PassthroughFilterChain"}
                }
              }
            },
            {
              "name": "10.96.0.1_443",
              "active_state": {
                "version_info": "l3",
                "listener": {
                  "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                  "name": "10.96.0.1_443",
                  "address": {"socket_address": {"address": "10.96.0.1", "port_value": 443}},
                  "filter_chains": [
                    {
                      "filter_chain_match": {"prefix_ranges": [{"address_prefix": "10.96.0.1", "prefix_len": 32}], "destination_port": 443},
                      "filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "stat_prefix": "outbound|443||kubernetes.default.svc.cluster.local", "cluster": "outbound|443||kubernetes.default.svc.cluster.local"}}]
                    }
                  ]
                }
              }
            },
            {
              "name": "ratings.default.svc.cluster.local:9080",
              "active_state": {
                "version_info": "l4",
                "listener": {
                  "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                  "name": "ratings.default.svc.cluster.local:9080",
                  "api_listener": {"api_listener": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", "rds": {"config_source": {"ads": {}}, "route_config_name": "ratings.default.svc.cluster.local:9080"}}}
                }
              }
            }
          ]
        }
        """;

    private const string ScopedRoutes = """
        {"@type": "type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump"}
        """;

    private const string Routes = """
        {
          "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
          "dynamic_route_configs": [
            {
              "version_info": "r2",
              "route_config": {
                "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                "name": "backend",
                "virtual_hosts": [
                  {"name": "backend", "domains": ["*"], "routes": [
                    {"match": {"path": "/healthz/ready"}, "direct_response": {"status": 200}},
                    {"match": {"safe_regex": {"regex": "^/stats.*"}}, "route": {"cluster": "prometheus_stats"}}
                  ]},
                  {"name": "block_all", "domains": ["*"], "routes": []}
                ]
              }
            },
            {
              "version_info": "r1",
              "route_config": {
                "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                "name": "9080",
                "virtual_hosts": [
                  {
                    "name": "reviews.default.svc.cluster.local:9080",
                    "domains": ["reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews", "reviews:9080", "reviews.default.svc", "reviews.default", "10.96.1.5", "10.96.1.5:9080"],
                    "routes": [
                      {
                        "name": "v1-only",
                        "match": {"prefix": "/"},
                        "route": {"cluster": "outbound|9080|v1|reviews.default.svc.cluster.local", "timeout": "0s"},
                        "metadata": {"filter_metadata": {"istio": {"config": "/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews"}}}
                      }
                    ]
                  },
                  {"name": "allow_any", "domains": ["*"], "routes": [{"name": "allow_any", "match": {"prefix": "/"}, "route": {"cluster": "PassthroughCluster"}}]}
                ]
              }
            }
          ]
        }
        """;

    private const string Secrets = """
        {"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", "dynamic_active_secrets": [{"name": "default", "version_info": "s1"}]}
        """;

    /// <summary>The dump istiod's order gives it (bootstrap, clusters, endpoints when asked, listeners, scoped routes, routes, secrets).</summary>
    public static string Json(bool includeEndpoints) =>
        "{\"configs\": [" + string.Join(",\n", new[] { Bootstrap, Clusters }.Concat(includeEndpoints ? [Endpoints] : []).Concat([Listeners, ScopedRoutes, Routes, Secrets])) + "]}";
}
