namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What <see cref="IClusterGrain.GetObjectsAsync"/> answers: the objects a member cluster holds
/// (its registry and its accepted config), for the debug endpoints <c>/debug/registryz</c>,
/// <c>/debug/endpointz</c> and <c>/debug/configz</c>.
/// </summary>
/// <remarks>
/// Secrets are named only (<see cref="Secrets"/>): a <see cref="MeshSecret"/> carries a private
/// key, which has no business on a debug page.
/// </remarks>
/// <param name="Loaded">Whether the grain has applied its source's declaration since it activated.</param>
/// <param name="Objects">
/// The objects other than Secrets (<see cref="MeshService"/>, <see cref="MeshEndpointSlice"/>,
/// <see cref="ServiceEntrySpec"/>, <see cref="VirtualServiceSpec"/>, ...), by kind, namespace and name; at most the limit asked.
/// </param>
/// <param name="Secrets">The Secrets by kind, namespace and name, never their contents; within the same limit.</param>
/// <param name="Total">How many objects of the kinds asked the cluster holds, Secrets included.</param>
/// <param name="Truncated">True when the limit left some objects out.</param>
[GenerateSerializer, Immutable]
public sealed record ClusterObjects(
    [property: Id(0)] bool Loaded,
    [property: Id(1)] IReadOnlyList<object> Objects,
    [property: Id(2)] IReadOnlyList<MeshObjectKey> Secrets,
    [property: Id(3)] int Total,
    [property: Id(4)] bool Truncated);
