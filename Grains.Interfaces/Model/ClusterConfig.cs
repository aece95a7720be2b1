namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Everything one member cluster declares, as its source read it: the valid objects
/// (with last good versions standing in for invalid ones) and the rejections.
/// A source sends the whole set each time; the ClusterGrain works out what changed.
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
