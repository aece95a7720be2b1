namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What part of the generated Envoy configuration an EnvoyFilter patch applies to (Istio's
/// <c>EnvoyFilter.ApplyTo</c>); the numbers are Istio's. The patch value is a whole message of
/// the type each names.
/// </summary>
public enum EnvoyFilterApplyTo
{
    /// <summary>A <c>Listener</c>.</summary>
    Listener = 1,

    /// <summary>A listener's <c>FilterChain</c>.</summary>
    FilterChain = 2,

    /// <summary>A network filter (<c>listener.v3.Filter</c>) of a filter chain.</summary>
    NetworkFilter = 3,

    /// <summary>An <c>HttpFilter</c> of an HTTP connection manager.</summary>
    HttpFilter = 4,

    /// <summary>A <c>RouteConfiguration</c>.</summary>
    RouteConfiguration = 5,

    /// <summary>A <c>VirtualHost</c> of a route configuration.</summary>
    VirtualHost = 6,

    /// <summary>A <c>Route</c> of a virtual host.</summary>
    HttpRoute = 7,

    /// <summary>A <c>Cluster</c>.</summary>
    Cluster = 8,
}
