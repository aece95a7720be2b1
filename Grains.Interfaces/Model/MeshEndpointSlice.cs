namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A <c>discovery.k8s.io/v1 EndpointSlice</c>, bound to its Service by the <c>kubernetes.io/service-name</c> label.</summary>
[GenerateSerializer, Immutable]
public sealed record MeshEndpointSlice(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] string ServiceName,
    [property: Id(3)] string AddressType,
    [property: Id(4)] IReadOnlyList<SlicePort> Ports,
    [property: Id(5)] IReadOnlyList<SliceEndpoint> Endpoints)
{
    /// <summary>The hostname of the Service this slice belongs to.</summary>
    public string ServiceHostname => MeshNames.ServiceHostname(ServiceName, Namespace);
}
