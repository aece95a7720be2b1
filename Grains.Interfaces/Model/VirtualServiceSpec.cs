namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>VirtualService</c> that applies to sidecars and proxyless clients (its gateways include <c>mesh</c>).</summary>
/// <param name="Namespace">The VirtualService's namespace; short hosts resolve in it.</param>
/// <param name="Name">The VirtualService's name.</param>
/// <param name="Hosts">The hosts it binds to, resolved to fully qualified names.</param>
/// <param name="Http">The HTTP routes, in order: the first match wins.</param>
[GenerateSerializer, Immutable]
public sealed record VirtualServiceSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> Hosts,
    [property: Id(3)] IReadOnlyList<HttpRouteSpec> Http);
