namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRouteDestination</c>.</summary>
/// <param name="Host">The destination hostname, already resolved to a fully qualified name.</param>
/// <param name="Port">The destination port, or null to infer it.</param>
/// <param name="Weight">The relative weight; 100 when a route has a single destination.</param>
/// <param name="Subset">The DestinationRule subset it sends to (<c>destination.subset</c>), or null for the whole host.</param>
[GenerateSerializer, Immutable]
public sealed record RouteDestinationSpec(
    [property: Id(0)] string Host,
    [property: Id(1)] int? Port,
    [property: Id(2)] int Weight,
    [property: Id(3)] string? Subset = null);
