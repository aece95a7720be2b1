namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Istio's <c>ClusterMatch</c>: a cluster by name, or by the parts of its
/// <c>outbound|port|subset|service</c> name; an empty or zero field matches anything.
/// </summary>
/// <param name="PortNumber">The service port.</param>
/// <param name="Service">The service's fully qualified hostname.</param>
/// <param name="Subset">The subset.</param>
/// <param name="Name">The cluster's whole name; when given, the other fields are not looked at (as in Istio).</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterClusterMatch(
    [property: Id(0)] int PortNumber,
    [property: Id(1)] string? Service,
    [property: Id(2)] string? Subset,
    [property: Id(3)] string? Name);
