namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>The identity a proxy announced in its first request's <c>node</c>.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Cluster">The node's cluster (Envoy's service cluster).</param>
/// <param name="UserAgent">The user agent's name and version.</param>
/// <param name="Locality">The node's locality, <c>region/zone/subzone</c>.</param>
/// <param name="Identity">Which workload the node is, as its id and metadata say (null for a node connected before this was read).</param>
[GenerateSerializer, Immutable]
public sealed record ProxyNode(
    [property: Id(0)] string Id,
    [property: Id(1)] string Cluster,
    [property: Id(2)] string UserAgent,
    [property: Id(3)] string Locality,
    [property: Id(4)] ProxyIdentity? Identity = null);
