namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>Where a simulated call stopped short of a cluster.</summary>
public enum SimulationFailure
{
    /// <summary>No listener receives the connection (nothing bound to the redirect port or the address).</summary>
    NoListener,

    /// <summary>The listener has no filter chain for the connection and no default filter chain.</summary>
    NoFilterChain,

    /// <summary>The configuration is one Envoy would reject (duplicate domains, ambiguous filter chains, zero total weight, ...).</summary>
    InvalidConfig,

    /// <summary>The chain's filters cannot handle what the call speaks (TCP or TLS bytes into an HTTP connection manager).</summary>
    ProtocolMismatch,

    /// <summary>The HTTP connection manager names, over RDS, a RouteConfiguration the proxy does not hold.</summary>
    RouteConfigurationMissing,

    /// <summary>No virtual host of the RouteConfiguration answers to the call's authority.</summary>
    NoVirtualHost,

    /// <summary>No route of the virtual host matches the request (Envoy answers 404).</summary>
    NoRoute,

    /// <summary>A route or TCP proxy names a cluster the proxy does not have (Envoy answers 503, NC).</summary>
    ClusterMissing,

    /// <summary>An EDS cluster whose ClusterLoadAssignment the proxy does not hold: Envoy keeps it warming, unusable.</summary>
    EndpointsMissing,

    /// <summary>The configuration uses something this simulator does not model; it says what rather than guess.</summary>
    Unsupported,

    /// <summary>A filter chain terminating TLS refuses the handshake (no client certificate where one is required, an identity its matchers refuse).</summary>
    TlsHandshake,

    /// <summary>An RBAC filter (an AuthorizationPolicy) denies the call.</summary>
    Denied,
}
