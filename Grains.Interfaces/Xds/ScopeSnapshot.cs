namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// All resources of a scope at one epoch. <see cref="Loaded"/> is false while the scope has
/// neither rebuilt anything from storage nor been applied by a source since it activated (a
/// restarted silo with in-memory storage, before its sources' first read): its emptiness then
/// means "not known yet", and a frontend must not replace what it serves with it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScopeSnapshot(
    [property: Id(0)] string Scope,
    [property: Id(1)] Guid Generation,
    [property: Id(2)] long Epoch,
    [property: Id(3)] IReadOnlyList<XdsResource> Resources,
    [property: Id(4)] bool Loaded = true);
