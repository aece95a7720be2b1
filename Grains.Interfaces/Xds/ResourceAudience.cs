namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>The kinds of proxy a resource is built for.</summary>
[Flags]
public enum ResourceAudience
{
    /// <summary>Proxyless gRPC clients (api_listeners named <c>host:port</c>).</summary>
    Proxyless = 1,

    /// <summary>Envoy sidecars.</summary>
    Sidecar = 2,

    /// <summary>Envoy gateways.</summary>
    Router = 4,

    /// <summary>Every Envoy proxy.</summary>
    Envoy = Sidecar | Router,

    /// <summary>Every proxy.</summary>
    All = Proxyless | Sidecar | Router,
}
