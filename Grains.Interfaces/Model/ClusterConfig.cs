namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Everything one member cluster declares, as its source read it: the valid objects
/// (with last good versions standing in for invalid ones) and the rejections.
/// A full read; sources hand the mesh <see cref="ClusterChanges"/> made from it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClusterConfig(
    [property: Id(0)] IReadOnlyList<MeshService> Services,
    [property: Id(1)] IReadOnlyList<MeshEndpointSlice> EndpointSlices,
    [property: Id(2)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(3)] IReadOnlyList<RejectedObject> Rejected)
{
    /// <summary>A cluster that declares nothing.</summary>
    public static ClusterConfig Empty { get; } = new([], [], [], []);
}
