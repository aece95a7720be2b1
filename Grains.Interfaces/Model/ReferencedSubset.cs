namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A subset cluster (<c>outbound|Port|Subset|host</c>) that a route names although the host
/// does not have it (no DestinationRule of the host defines the subset, or its Service has no
/// such port): the host serves it with no endpoints, so no route names a cluster the proxy lacks.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReferencedSubset(
    [property: Id(0)] int Port,
    [property: Id(1)] string Subset);
