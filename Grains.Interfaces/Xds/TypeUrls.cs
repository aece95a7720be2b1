namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>The xDS resource type URLs the mesh serves, and their push order.</summary>
public static class TypeUrls
{
    /// <summary>The prefix every type URL carries.</summary>
    public const string Prefix = "type.googleapis.com/";

    /// <summary>CDS.</summary>
    public const string Cluster = Prefix + "envoy.config.cluster.v3.Cluster";

    /// <summary>EDS.</summary>
    public const string ClusterLoadAssignment = Prefix + "envoy.config.endpoint.v3.ClusterLoadAssignment";

    /// <summary>LDS.</summary>
    public const string Listener = Prefix + "envoy.config.listener.v3.Listener";

    /// <summary>RDS.</summary>
    public const string RouteConfiguration = Prefix + "envoy.config.route.v3.RouteConfiguration";

    /// <summary>SDS: a TLS certificate and key, or a validation context (per proxy, never in a shared cache).</summary>
    public const string Secret = Prefix + "envoy.extensions.transport_sockets.tls.v3.Secret";

    /// <summary>
    /// Not an xDS type: one service port's Envoy <c>VirtualHost</c>, built by its ServiceGrain and
    /// put together with the others of its port into a sidecar's RouteConfiguration named by port.
    /// Scopes never publish it.
    /// </summary>
    public const string VirtualHostPiece = "mesh.orleans/envoy.config.route.v3.VirtualHost";

    /// <summary>
    /// Not an xDS type: the sidecar scope the proxies of one workload belong in, carried by the
    /// workload's own scope so that a frontend moves their streams there. Never sent to a proxy.
    /// </summary>
    public const string ScopeAssignment = "mesh.orleans/scope";

    /// <summary>The name of the one <see cref="ScopeAssignment"/> resource of a workload's scope.</summary>
    public const string ScopeAssignmentName = "sidecar-scope";

    /// <summary>
    /// Make-before-break order for additions (xDS protocol, "Eventual consistency
    /// considerations"): clusters before the endpoints they load, both before the
    /// listeners and routes that name them. Removals go in the reverse order.
    /// </summary>
    /// Secrets go last: Envoy warms a cluster or listener that names an SDS secret until it arrives.
    public static IReadOnlyList<string> PushOrder { get; } = [Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, Secret];

    /// <summary>
    /// True for the types where a SotW response carries the whole set, so that a resource
    /// missing from it is deleted (LDS and CDS).
    /// </summary>
    public static bool IsFullStateInSotw(string typeUrl) => typeUrl is Listener or Cluster;

    /// <summary>True for a type the mesh serves.</summary>
    public static bool IsKnown(string typeUrl) => typeUrl is Cluster or ClusterLoadAssignment or Listener or RouteConfiguration or Secret;
}
