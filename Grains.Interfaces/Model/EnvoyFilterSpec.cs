namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// An Istio <c>EnvoyFilter</c> (networking.istio.io v1alpha3), validated: patches to the Envoy
/// configuration generated for the proxies it selects, with every patch value already converted
/// to the project's Envoy types (see <see cref="EnvoyFilterValue"/>).
/// </summary>
/// <param name="Namespace">The EnvoyFilter's namespace; one in the mesh's root namespace applies to every proxy it selects in any namespace.</param>
/// <param name="Name">The EnvoyFilter's name.</param>
/// <param name="WorkloadSelector">The labels of the workloads it patches; null selects every workload of its namespace, as in Istio.</param>
/// <param name="Priority">Istio's <c>priority</c>: lower applies first; 0 by default, negative before the defaults.</param>
/// <param name="Patches">The <c>configPatches</c>, in order.</param>
/// <param name="CreationTimestamp">The object's <c>metadata.creationTimestamp</c> when given, which orders EnvoyFilters of the same priority as in Istio.</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string>? WorkloadSelector,
    [property: Id(3)] int Priority,
    [property: Id(4)] IReadOnlyList<EnvoyFilterPatchSpec> Patches,
    [property: Id(5)] DateTimeOffset? CreationTimestamp = null);
