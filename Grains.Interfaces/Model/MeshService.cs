namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A Kubernetes <c>v1 Service</c>, reduced to what the mesh needs.</summary>
/// <param name="Namespace">The Service's namespace.</param>
/// <param name="Name">The Service's name.</param>
/// <param name="Ports">Its ports.</param>
/// <param name="ClusterIp">Its <c>spec.clusterIP</c>, or null when it has none (headless, or not assigned yet).</param>
/// <param name="ExportTo">
/// The namespaces that see it, from the annotation <c>networking.istio.io/exportTo</c> as written
/// (<c>.</c>, <c>*</c>, <c>~</c> or namespace names); null or empty means the mesh's default.
/// </param>
[GenerateSerializer, Immutable]
public sealed record MeshService(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<ServicePort> Ports,
    [property: Id(3)] string? ClusterIp = null,
    [property: Id(4)] IReadOnlyList<string>? ExportTo = null)
{
    /// <summary>The mesh hostname, <c>name.namespace.svc.cluster.local</c>.</summary>
    public string Hostname => MeshNames.ServiceHostname(Name, Namespace);
}
