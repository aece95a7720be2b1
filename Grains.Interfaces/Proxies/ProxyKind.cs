namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>What kind of proxy a node is, which decides the shape of what it is served.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ProxyKind>))]
public enum ProxyKind
{
    /// <summary>A proxyless gRPC client (or any xDS client whose node id is not Istio's form): api_listeners per <c>host:port</c>.</summary>
    Proxyless = 0,

    /// <summary>An Envoy sidecar beside one workload (node id <c>sidecar~…</c>).</summary>
    Sidecar = 1,

    /// <summary>An Envoy gateway (node id <c>router~…</c>).</summary>
    Router = 2,
}
