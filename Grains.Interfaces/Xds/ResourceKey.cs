namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>A resource's identity: its type URL and name.</summary>
[GenerateSerializer, Immutable]
public readonly record struct ResourceKey(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string Name);
