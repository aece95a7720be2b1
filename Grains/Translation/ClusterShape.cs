namespace Mesh.Orleans.Grains.Translation;

/// <summary>Which proxies a Cluster is built for.</summary>
public enum ClusterShape
{
    /// <summary>
    /// Every kind of proxy (Envoy and proxyless gRPC clients) is sent it, so it holds only what
    /// gRPC clients accept: lb_policy ROUND_ROBIN or RING_HASH (any other makes
    /// @grpc/grpc-js-xds reject the whole Cluster) and an EDS discovery type. Today every proxy
    /// is served the same clusters, so this is what the mesh serves.
    /// </summary>
    Shared,

    /// <summary>Only Envoy reads it: the whole load-balancer choice (LEAST_REQUEST, RANDOM, MAGLEV, PASSTHROUGH).</summary>
    Envoy,
}
