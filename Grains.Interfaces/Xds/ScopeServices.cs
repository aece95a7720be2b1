namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>Every hostname's resources a scope holds (<see cref="IScopeGrain.GetServicesAsync"/>).</summary>
/// <param name="Loaded">Whether the scope has heard from its member clusters since it activated.</param>
/// <param name="Services">The resources of each hostname, at their latest revision.</param>
[GenerateSerializer, Immutable]
public sealed record ScopeServices(
    [property: Id(0)] bool Loaded,
    [property: Id(1)] IReadOnlyList<ServiceResources> Services);
