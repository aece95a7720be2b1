namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRoute</c>: any of <see cref="Match"/> selects it (none means every request).</summary>
[GenerateSerializer, Immutable]
public sealed record HttpRouteSpec(
    [property: Id(0)] string? Name,
    [property: Id(1)] IReadOnlyList<HttpMatchSpec> Match,
    [property: Id(2)] IReadOnlyList<RouteDestinationSpec> Route,
    [property: Id(3)] TimeSpan? Timeout);
