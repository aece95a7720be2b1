namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Istio's <c>RouteConfigurationMatch</c>, its virtual host and route matches flattened; an empty
/// or zero field matches anything.
/// </summary>
/// <param name="PortNumber">The port the route configuration serves (a sidecar's route configurations are named by port).</param>
/// <param name="PortName">A gateway server's port name.</param>
/// <param name="Gateway">A gateway's <c>namespace/name</c>.</param>
/// <param name="Name">The route configuration's name.</param>
/// <param name="VirtualHostName">The virtual host's name.</param>
/// <param name="DomainName">A domain the virtual host must list.</param>
/// <param name="HasRouteMatch">Whether <c>vhost.route</c> was given: then INSERT_BEFORE, INSERT_AFTER and INSERT_FIRST are placed relative to the first matched route.</param>
/// <param name="RouteName">The route's name.</param>
/// <param name="RouteAction">The route's action.</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterRouteConfigurationMatch(
    [property: Id(0)] int PortNumber,
    [property: Id(1)] string? PortName,
    [property: Id(2)] string? Gateway,
    [property: Id(3)] string? Name,
    [property: Id(4)] string? VirtualHostName,
    [property: Id(5)] string? DomainName,
    [property: Id(6)] bool HasRouteMatch,
    [property: Id(7)] string? RouteName,
    [property: Id(8)] EnvoyFilterRouteAction RouteAction);
