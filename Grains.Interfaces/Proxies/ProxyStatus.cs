namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>A proxy's sync state as its ProxyGrain holds it.</summary>
[GenerateSerializer, Immutable]
public sealed record ProxyStatus(
    [property: Id(0)] string NodeId,
    [property: Id(1)] ProxyNode? Node,
    [property: Id(2)] int OpenStreams,
    [property: Id(3)] IReadOnlyList<TypeSyncStatus> Types);
