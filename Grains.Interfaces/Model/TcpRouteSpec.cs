namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>TCPRoute</c>: any of <see cref="Match"/> selects it (none means every connection).</summary>
/// <param name="Match">The conditions, any of which selects the route.</param>
/// <param name="Route">The weighted destinations.</param>
[GenerateSerializer, Immutable]
public sealed record TcpRouteSpec(
    [property: Id(0)] IReadOnlyList<L4MatchSpec> Match,
    [property: Id(1)] IReadOnlyList<RouteDestinationSpec> Route);
