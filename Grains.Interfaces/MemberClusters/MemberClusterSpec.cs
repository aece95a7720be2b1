namespace Mesh.Orleans.Grains.Interfaces.MemberClusters;

/// <summary>
/// One member cluster the mesh reads (a Kubernetes API), as the clusters file or the command
/// line declares it. "Member cluster" is a Kubernetes cluster, not an Envoy Cluster.
/// </summary>
/// <param name="Id">The member cluster id, unique in the mesh.</param>
/// <param name="Kubeconfig">The kubeconfig file (its current context is used), or null for in-cluster credentials.</param>
/// <param name="Network">The network its endpoints are on, or null.</param>
/// <param name="Region">The region of endpoints that carry no locality, or null.</param>
/// <param name="Zone">The zone of endpoints that carry no locality, or null.</param>
[GenerateSerializer, Immutable]
public sealed record MemberClusterSpec(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Kubeconfig,
    [property: Id(2)] string? Network,
    [property: Id(3)] string? Region,
    [property: Id(4)] string? Zone);
