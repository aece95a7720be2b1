namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>All resources of a scope at one epoch.</summary>
[GenerateSerializer, Immutable]
public sealed record ScopeSnapshot(
    [property: Id(0)] string Scope,
    [property: Id(1)] Guid Generation,
    [property: Id(2)] long Epoch,
    [property: Id(3)] IReadOnlyList<XdsResource> Resources);
