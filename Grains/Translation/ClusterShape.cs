namespace Mesh.Orleans.Grains.Translation;

/// <summary>Which proxies a Cluster is built for.</summary>
public enum ClusterShape
{
    /// <summary>
    /// Proxyless gRPC clients: only what they accept, lb_policy ROUND_ROBIN or RING_HASH (any
    /// other makes @grpc/grpc-js-xds reject the whole Cluster) and an EDS discovery type. When a
    /// policy needs nothing narrowed this is also the Envoy shape, and one Cluster serves both.
    /// </summary>
    Proxyless,

    /// <summary>Envoy sidecars and gateways: the whole load-balancer choice (LEAST_REQUEST, RANDOM, MAGLEV, PASSTHROUGH).</summary>
    Envoy,
}
