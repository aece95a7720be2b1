namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What one member cluster contributes to one mesh hostname: the Service (null when the
/// cluster only has routing for it), its EndpointSlices, the VirtualServices bound to the
/// hostname, the ports of every destination those VirtualServices name (to infer a
/// destination port that the route leaves out), and the ports on which other hosts' routes
/// name this host although it has no such cluster (they get a cluster with no endpoints, so a
/// route never names a cluster the proxy lacks); the DestinationRules bound to the hostname, in
/// the order they merge (the first sets the traffic policy; later ones only add subsets), and the
/// subset clusters routes name that the host does not define. When the rules define subsets, the
/// slices' endpoints carry their pods' labels. A hostname that no Service of the cluster has
/// and a ServiceEntry declares carries that entry (the first by namespace and name), whose
/// <c>workloadSelector</c>, if any, is resolved: its endpoints are then the selected pods.
/// <see cref="Importers"/> are the mesh VirtualServices of the cluster with a route to the
/// hostname (who sees them may see it: <see cref="ServiceVisibility"/>).
/// <see cref="CandidateRules"/> are every DestinationRule of the cluster whose host matches the
/// hostname, whatever its namespace (null: none): proxies in a namespace take theirs from it as
/// Istio looks rules up (the proxy's namespace, the service's, the root), while
/// <see cref="DestinationRules"/> is what the whole mesh is served.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ServiceInput(
    [property: Id(0)] MeshService? Service,
    [property: Id(1)] IReadOnlyList<MeshEndpointSlice> EndpointSlices,
    [property: Id(2)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(3)] IReadOnlyDictionary<string, IReadOnlyList<int>> DestinationPorts,
    [property: Id(4)] IReadOnlyList<int>? ReferencedPorts = null,
    [property: Id(5)] IReadOnlyList<DestinationRuleSpec>? DestinationRules = null,
    [property: Id(6)] IReadOnlyList<ReferencedSubset>? ReferencedSubsets = null,
    [property: Id(7)] ServiceEntrySpec? ServiceEntry = null,
    [property: Id(8)] IReadOnlyList<VirtualServiceImport>? Importers = null,
    [property: Id(9)] IReadOnlyList<DestinationRuleSpec>? CandidateRules = null);
