namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A patch's <c>match</c>: the context, the proxy, and at most one of a listener, a route
/// configuration or a cluster match (which one fits the patch's applyTo). An absent match is
/// context ANY with nothing else, as in Istio.
/// </summary>
/// <param name="Context">Which generated configuration it applies to.</param>
/// <param name="ProxyVersion">A regular expression the proxy's Istio version must match (<c>match.proxy.proxyVersion</c>); null for any.</param>
/// <param name="ProxyMetadata">Node metadata the proxy must carry, each value exactly (<c>match.proxy.metadata</c>).</param>
/// <param name="Listener">The listener match, for patches to listeners, filter chains and filters.</param>
/// <param name="RouteConfiguration">The route configuration match, for patches to route configurations, virtual hosts and routes.</param>
/// <param name="Cluster">The cluster match, for patches to clusters.</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterMatchSpec(
    [property: Id(0)] EnvoyFilterContext Context,
    [property: Id(1)] string? ProxyVersion,
    [property: Id(2)] IReadOnlyDictionary<string, string> ProxyMetadata,
    [property: Id(3)] EnvoyFilterListenerMatch? Listener,
    [property: Id(4)] EnvoyFilterRouteConfigurationMatch? RouteConfiguration,
    [property: Id(5)] EnvoyFilterClusterMatch? Cluster)
{
    /// <summary>Matches everything: context ANY.</summary>
    public static EnvoyFilterMatchSpec Anything { get; } = new(EnvoyFilterContext.Any, null, new Dictionary<string, string>(), null, null, null);
}
