using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>What <see cref="EnvoyFilterPatcher.Apply"/> made of a proxy's generated resources.</summary>
/// <param name="Listeners">The listeners, patched (new instances; the inputs are left as they were).</param>
/// <param name="RouteConfigurations">The route configurations, patched.</param>
/// <param name="Clusters">The clusters, patched.</param>
/// <param name="Problems">The patches that did not apply, or failed on some resource, each with the reason.</param>
public sealed record EnvoyFilterPatchResult(
    IReadOnlyList<Listener> Listeners,
    IReadOnlyList<RouteConfiguration> RouteConfigurations,
    IReadOnlyList<Cluster> Clusters,
    IReadOnlyList<EnvoyFilterProblem> Problems)
{
    /// <summary>The problems of the EnvoyFilter <paramref name="ns"/>/<paramref name="name"/>.</summary>
    public IEnumerable<EnvoyFilterProblem> ProblemsOf(string ns, string name) =>
        Problems.Where(p => string.Equals(p.Namespace, ns, StringComparison.Ordinal) && string.Equals(p.Name, name, StringComparison.Ordinal));
}
