namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// A change to a scope's resources, from <see cref="FromEpoch"/> to <see cref="ToEpoch"/>.
/// A frontend applies it only when it holds exactly <see cref="FromEpoch"/> of the same
/// <see cref="Generation"/>; otherwise it fetches the whole snapshot again.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScopeUpdate(
    [property: Id(0)] string Scope,
    [property: Id(1)] Guid Generation,
    [property: Id(2)] long FromEpoch,
    [property: Id(3)] long ToEpoch,
    [property: Id(4)] IReadOnlyList<XdsResource> Upserted,
    [property: Id(5)] IReadOnlyList<ResourceKey> Removed);
