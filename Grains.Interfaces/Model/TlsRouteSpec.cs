namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>TLSRoute</c>: routes TLS connections by their SNI without terminating them.</summary>
/// <param name="Match">The conditions (at least one), any of which selects the route.</param>
/// <param name="Route">The weighted destinations.</param>
[GenerateSerializer, Immutable]
public sealed record TlsRouteSpec(
    [property: Id(0)] IReadOnlyList<TlsMatchSpec> Match,
    [property: Id(1)] IReadOnlyList<RouteDestinationSpec> Route);
