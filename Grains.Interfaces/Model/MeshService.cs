namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A Kubernetes <c>v1 Service</c>, reduced to what the mesh needs.</summary>
[GenerateSerializer, Immutable]
public sealed record MeshService(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<ServicePort> Ports)
{
    /// <summary>The mesh hostname, <c>name.namespace.svc.cluster.local</c>.</summary>
    public string Hostname => MeshNames.ServiceHostname(Name, Namespace);
}
