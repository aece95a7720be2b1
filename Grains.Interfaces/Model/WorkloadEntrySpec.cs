namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An endpoint of a ServiceEntry (Istio's <c>WorkloadEntry</c> shape).</summary>
/// <param name="Address">An IP address, a DNS name (DNS resolution only), a <c>unix://</c> socket (STATIC only), or empty when <see cref="Network"/> is set.</param>
/// <param name="Ports">The endpoint's port per service port name; a port not named uses the service port's target port.</param>
/// <param name="Labels">The endpoint's labels.</param>
/// <param name="Network">The network it is on, or null.</param>
/// <param name="Locality">Its locality, <c>region/zone/subzone</c>, or null.</param>
/// <param name="Weight">Its load-balancing weight, or null.</param>
/// <param name="ServiceAccount">The service account of its workload, or null.</param>
[GenerateSerializer, Immutable]
public sealed record WorkloadEntrySpec(
    [property: Id(0)] string Address,
    [property: Id(1)] IReadOnlyDictionary<string, int> Ports,
    [property: Id(2)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(3)] string? Network,
    [property: Id(4)] string? Locality,
    [property: Id(5)] int? Weight,
    [property: Id(6)] string? ServiceAccount);
