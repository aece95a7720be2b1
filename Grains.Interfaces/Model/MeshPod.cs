namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A <c>v1 Pod</c> as the registry needs it: its labels, which the endpoints that name it
/// (an EndpointSlice endpoint's <c>targetRef</c>) carry, so DestinationRule subsets can select
/// them. Its status (IP, phase, readiness) is left out on purpose: it changes far more often than
/// labels, and the slices already say where and whether an endpoint serves. Its IP is kept
/// (it is set once, when the pod is scheduled): a ServiceEntry's <c>workloadSelector</c> makes
/// the pods it selects its endpoints, and no slice lists them for it.
/// </summary>
/// <param name="Namespace">The pod's namespace.</param>
/// <param name="Name">The pod's name.</param>
/// <param name="Labels">Its <c>metadata.labels</c>.</param>
/// <param name="Ip">Its <c>status.podIP</c>, or null while it has none.</param>
/// <param name="ServiceAccount">Its <c>spec.serviceAccountName</c> (its workload identity's), or null.</param>
[GenerateSerializer, Immutable]
public sealed record MeshPod(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(3)] string? Ip = null,
    [property: Id(4)] string? ServiceAccount = null)
{
    /// <summary>The <c>targetRef</c> an endpoint backed by this pod carries: <c>Pod/namespace/name</c>.</summary>
    public string TargetRef => PodRef(Namespace, Name);

    /// <summary>The <c>targetRef</c> of pod <paramref name="name"/> in <paramref name="namespace"/>.</summary>
    public static string PodRef(string @namespace, string name) => $"Pod/{@namespace}/{name}";

    /// <summary>
    /// The pod an endpoint of a slice in <paramref name="sliceNamespace"/> names, as a
    /// <see cref="TargetRef"/>; null when its targetRef is missing or not a Pod. A targetRef
    /// without a namespace means the slice's own.
    /// </summary>
    public static string? PodOf(string? targetRef, string sliceNamespace)
    {
        if (targetRef is null || !targetRef.StartsWith("Pod/", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = targetRef.AsSpan(4);
        var slash = rest.IndexOf('/');
        if (slash < 0 || slash == rest.Length - 1)
        {
            return null;
        }

        return slash == 0 ? PodRef(sliceNamespace, rest[1..].ToString()) : targetRef;
    }
}
