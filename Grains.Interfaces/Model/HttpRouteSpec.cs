namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRoute</c>: any of <see cref="Match"/> selects it (none means every request).</summary>
/// <param name="Name">The route's name, or null.</param>
/// <param name="Match">The conditions, any of which selects the route; empty means every request.</param>
/// <param name="Route">The weighted destinations; empty when the route redirects, responds directly or delegates.</param>
/// <param name="Timeout">The request timeout; null means none (Istio disables Envoy's default), zero also means none.</param>
/// <param name="Redirect">Answer with a redirect instead of forwarding, or null.</param>
/// <param name="DirectResponse">Answer with a fixed response instead of forwarding, or null.</param>
/// <param name="Delegate">The VirtualService that holds this route's rules, or null.</param>
/// <param name="Rewrite">Rewrite the path or authority before forwarding, or null.</param>
/// <param name="Retries">The retry policy; null means Istio's default policy.</param>
/// <param name="Fault">Faults to inject, or null.</param>
/// <param name="Mirrors">Where copies of the requests go (<c>mirror</c> with <c>mirrorPercentage</c>, and <c>mirrors</c>); null means none.</param>
/// <param name="Headers">Header operations on requests and responses, or null.</param>
/// <param name="CorsPolicy">The CORS policy, or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpRouteSpec(
    [property: Id(0)] string? Name,
    [property: Id(1)] IReadOnlyList<HttpMatchSpec> Match,
    [property: Id(2)] IReadOnlyList<RouteDestinationSpec> Route,
    [property: Id(3)] TimeSpan? Timeout,
    [property: Id(4)] HttpRedirectSpec? Redirect = null,
    [property: Id(5)] HttpDirectResponseSpec? DirectResponse = null,
    [property: Id(6)] DelegateSpec? Delegate = null,
    [property: Id(7)] HttpRewriteSpec? Rewrite = null,
    [property: Id(8)] HttpRetrySpec? Retries = null,
    [property: Id(9)] HttpFaultSpec? Fault = null,
    [property: Id(10)] IReadOnlyList<HttpMirrorSpec>? Mirrors = null,
    [property: Id(11)] HeadersSpec? Headers = null,
    [property: Id(12)] CorsPolicySpec? CorsPolicy = null);
