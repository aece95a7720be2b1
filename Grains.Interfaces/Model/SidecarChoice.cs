namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// The Sidecar resource that applies to the proxies of one sidecar scope, as Istio's precedence
/// picks it (workload-selecting, then the namespace's, then the root namespace's), or none
/// (<see cref="Sidecar"/> null: Istio's default, everything exported to the namespace).
/// </summary>
/// <param name="Sidecar">The Sidecar that applies, or null.</param>
/// <param name="EnvoyFilters">
/// The EnvoyFilters that patch the scope's proxies: the root namespace's and the proxies'
/// namespace's without a selector, and the workload-selecting ones the scope is named by.
/// </param>
[GenerateSerializer, Immutable]
public sealed record SidecarChoice(
    [property: Id(0)] SidecarSpec? Sidecar,
    [property: Id(1)] IReadOnlyList<EnvoyFilterSpec>? EnvoyFilters = null);
