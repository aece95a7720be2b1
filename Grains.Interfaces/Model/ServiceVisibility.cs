namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What decides which proxies may see one mesh hostname, as Istio's Sidecar and exportTo rules
/// read it: the namespace and exportTo of the Service or ServiceEntry that declares it, its
/// ports (an egress listener with a port imports only hostnames with that port), and the
/// VirtualServices that route to it (an imported VirtualService brings its destinations with it).
/// Carried beside a hostname's resources so that a scope decides visibility from them alone.
/// </summary>
/// <param name="Namespace">The namespace of the declaring Service or ServiceEntry.</param>
/// <param name="ExportTo">Its exportTo (null or empty: the mesh default).</param>
/// <param name="Ports">Its port numbers.</param>
/// <param name="Importers">The mesh VirtualServices (not delegates) with a route to the hostname.</param>
/// <param name="Declared">
/// False for a hostname no Service or ServiceEntry declares that routes name (it has a cluster
/// without endpoints, so that a route never names a cluster the proxy lacks): it is seen where a
/// VirtualService routing to it is, on the ports routes name (<see cref="Ports"/>).
/// </param>
[GenerateSerializer, Immutable]
public sealed record ServiceVisibility(
    [property: Id(0)] string Namespace,
    [property: Id(1)] IReadOnlyList<string>? ExportTo,
    [property: Id(2)] IReadOnlyList<int> Ports,
    [property: Id(3)] IReadOnlyList<VirtualServiceImport> Importers,
    [property: Id(4)] bool Declared = true);

/// <summary>A VirtualService that routes to a hostname, as far as it decides who sees that hostname.</summary>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
/// <param name="ExportTo">Its exportTo (null or empty: the mesh default).</param>
/// <param name="Hosts">Its hosts.</param>
[GenerateSerializer, Immutable]
public sealed record VirtualServiceImport(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string>? ExportTo,
    [property: Id(3)] IReadOnlyList<string> Hosts);
