namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>The identity a proxy announced in its first request's <c>node</c>.</summary>
[GenerateSerializer, Immutable]
public sealed record ProxyNode(
    [property: Id(0)] string Id,
    [property: Id(1)] string Cluster,
    [property: Id(2)] string UserAgent,
    [property: Id(3)] string Locality);
