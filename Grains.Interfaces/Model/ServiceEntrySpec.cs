namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>ServiceEntry</c>, validated: hosts added to the mesh's registry, with their ports and endpoints.</summary>
/// <param name="Namespace">The ServiceEntry's namespace.</param>
/// <param name="Name">The ServiceEntry's name.</param>
/// <param name="Hosts">
/// The hosts in lower case, as written: a DNS name or a <c>*.</c> wildcard. A short name (no dot)
/// is not expanded with the namespace, as in Istio, which takes ServiceEntry hosts literally.
/// </param>
/// <param name="Addresses">Virtual IP addresses or CIDR blocks, or empty.</param>
/// <param name="Ports">The service's ports (numbers and names unique).</param>
/// <param name="Location">MESH_EXTERNAL (the default) or MESH_INTERNAL.</param>
/// <param name="Resolution">NONE (the default), STATIC, DNS or DNS_ROUND_ROBIN.</param>
/// <param name="Endpoints">The endpoints listed in the entry, or empty.</param>
/// <param name="WorkloadSelector">The labels of the workloads that are its endpoints instead (<c>workloadSelector.labels</c>), or null.</param>
/// <param name="ExportTo">The namespaces that see it (<c>.</c>, <c>*</c>, <c>~</c> or names); empty means every namespace.</param>
/// <param name="SubjectAltNames">The names the server certificate must carry, or empty.</param>
[GenerateSerializer, Immutable]
public sealed record ServiceEntrySpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> Hosts,
    [property: Id(3)] IReadOnlyList<string> Addresses,
    [property: Id(4)] IReadOnlyList<ServiceEntryPort> Ports,
    [property: Id(5)] string Location,
    [property: Id(6)] string Resolution,
    [property: Id(7)] IReadOnlyList<WorkloadEntrySpec> Endpoints,
    [property: Id(8)] IReadOnlyDictionary<string, string>? WorkloadSelector,
    [property: Id(9)] IReadOnlyList<string> ExportTo,
    [property: Id(10)] IReadOnlyList<string> SubjectAltNames);
