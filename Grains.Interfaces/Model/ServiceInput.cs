namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What one member cluster contributes to one mesh hostname: the Service (null when the
/// cluster only has routing for it), its EndpointSlices, the VirtualServices bound to the
/// hostname, and the ports of every destination those VirtualServices name (to infer a
/// destination port that the route leaves out).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ServiceInput(
    [property: Id(0)] MeshService? Service,
    [property: Id(1)] IReadOnlyList<MeshEndpointSlice> EndpointSlices,
    [property: Id(2)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(3)] IReadOnlyDictionary<string, IReadOnlyList<int>> DestinationPorts);
