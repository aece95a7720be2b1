namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>DestinationRule</c>, validated: what happens to traffic for <see cref="Host"/> once routed.</summary>
/// <param name="Namespace">The rule's namespace.</param>
/// <param name="Name">The rule's name.</param>
/// <param name="Host">The host it applies to, resolved to a full name in the rule's namespace (or a <c>*.</c> wildcard).</param>
/// <param name="Subsets">Named subsets of the host's endpoints, by label.</param>
/// <param name="TrafficPolicy">The policy for all of the host's traffic, or null.</param>
/// <param name="ExportTo">The namespaces that see it (<c>.</c>, <c>*</c> or names); empty means every namespace.</param>
/// <param name="WorkloadSelector">The workloads it applies to (<c>workloadSelector.matchLabels</c>), or null for all.</param>
/// <param name="CreationTimestamp">
/// <c>metadata.creationTimestamp</c>, or null when not given (a file usually has none; it then
/// counts as oldest, as Istio's zero time does). Of several rules for one host, the oldest wins.
/// </param>
[GenerateSerializer, Immutable]
public sealed record DestinationRuleSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] string Host,
    [property: Id(3)] IReadOnlyList<SubsetSpec> Subsets,
    [property: Id(4)] TrafficPolicySpec? TrafficPolicy,
    [property: Id(5)] IReadOnlyList<string> ExportTo,
    [property: Id(6)] IReadOnlyDictionary<string, string>? WorkloadSelector,
    [property: Id(7)] DateTimeOffset? CreationTimestamp = null);
