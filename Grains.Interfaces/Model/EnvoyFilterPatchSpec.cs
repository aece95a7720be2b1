namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One of an EnvoyFilter's <c>configPatches</c>: where it applies, what it matches, and what it does.</summary>
/// <param name="ApplyTo">The kind of object patched.</param>
/// <param name="Match">What the patched objects must match (context, proxy, listener, route configuration or cluster).</param>
/// <param name="Operation">
/// The operation. Istio turns INSERT_BEFORE, INSERT_AFTER and INSERT_FIRST into ADD where the object
/// is no list item it can place (a listener, filter chain, route configuration, virtual host or
/// cluster); the parser does the same, so this is the operation that takes effect.
/// </param>
/// <param name="Value">The value, converted; null for REMOVE.</param>
/// <param name="FilterClass">Istio's <c>filterClass</c> (AUTHN, AUTHZ or STATS) when given; Istio's EnvoyFilter translation does not use it, nor does the mesh.</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterPatchSpec(
    [property: Id(0)] EnvoyFilterApplyTo ApplyTo,
    [property: Id(1)] EnvoyFilterMatchSpec Match,
    [property: Id(2)] EnvoyFilterOperation Operation,
    [property: Id(3)] EnvoyFilterValue? Value,
    [property: Id(4)] string? FilterClass = null);
