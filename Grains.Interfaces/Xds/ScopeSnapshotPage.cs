namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// One page of a scope's snapshot at one epoch (<see cref="IScopeGrain.GetSnapshotPageAsync"/>):
/// a scope of the whole mesh can be larger than one Orleans message may be, so a frontend fetches
/// it in pages of a bounded size.
/// </summary>
/// <param name="Resources">The resources of this page.</param>
/// <param name="Next">The index of the next page's first resource, or null when this is the last page.</param>
[GenerateSerializer, Immutable]
public sealed record ScopeSnapshotPage(
    [property: Id(0)] IReadOnlyList<XdsResource> Resources,
    [property: Id(1)] int? Next);
