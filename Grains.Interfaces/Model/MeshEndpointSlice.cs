namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A <c>discovery.k8s.io/v1 EndpointSlice</c>, bound to its Service by the
/// <c>kubernetes.io/service-name</c> label, with the member cluster (and its network) it was
/// read from, which its endpoints carry into EDS.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MeshEndpointSlice(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] string ServiceName,
    [property: Id(3)] string AddressType,
    [property: Id(4)] IReadOnlyList<SlicePort> Ports,
    [property: Id(5)] IReadOnlyList<SliceEndpoint> Endpoints,
    [property: Id(6)] string? MemberClusterId = null,
    [property: Id(7)] string? Network = null)
{
    /// <summary>The hostname of the Service this slice belongs to.</summary>
    public string ServiceHostname => MeshNames.ServiceHostname(ServiceName, Namespace);
}
