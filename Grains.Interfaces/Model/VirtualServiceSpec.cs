namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>VirtualService</c>, validated as Istio validates it.</summary>
/// <param name="Namespace">The VirtualService's namespace; short hosts resolve in it.</param>
/// <param name="Name">The VirtualService's name.</param>
/// <param name="Hosts">The hosts it binds to, resolved to fully qualified names; empty for a delegate VirtualService.</param>
/// <param name="Http">The HTTP routes, in order: the first match wins.</param>
/// <param name="Gateways">The gateways it applies to as written; null or empty means <c>mesh</c> alone.</param>
/// <param name="ExportTo">The namespaces that see it (<c>.</c>, <c>*</c> or names); null or empty means every namespace.</param>
/// <param name="Tcp">The opaque TCP routes, in order; null means none.</param>
/// <param name="Tls">The TLS (SNI) routes, in order; null means none.</param>
[GenerateSerializer, Immutable]
public sealed record VirtualServiceSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> Hosts,
    [property: Id(3)] IReadOnlyList<HttpRouteSpec> Http,
    [property: Id(4)] IReadOnlyList<string>? Gateways = null,
    [property: Id(5)] IReadOnlyList<string>? ExportTo = null,
    [property: Id(6)] IReadOnlyList<TcpRouteSpec>? Tcp = null,
    [property: Id(7)] IReadOnlyList<TlsRouteSpec>? Tls = null)
{
    /// <summary>The gateway name that means "sidecars and proxyless clients".</summary>
    public const string MeshGateway = "mesh";

    /// <summary>Whether sidecars and proxyless clients apply it: no gateways are named, or <c>mesh</c> is one of them.</summary>
    public bool AppliesToMesh => Gateways is null || Gateways.Count == 0 || Gateways.Contains(MeshGateway, StringComparer.Ordinal);

    /// <summary>Whether it is a delegate: it has no hosts and is only used through another VirtualService's <c>delegate</c>.</summary>
    public bool IsDelegate => Hosts.Count == 0;
}
