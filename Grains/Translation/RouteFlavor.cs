namespace Mesh.Orleans.Grains.Translation;

/// <summary>Which kind of proxy a virtual host's routes are built for.</summary>
public enum RouteFlavor
{
    /// <summary>
    /// A proxyless gRPC client: only what gRPC's xDS support accepts (gRFC A28). Routes that
    /// redirect or respond directly are left out (a gRPC client rejects the whole
    /// RouteConfiguration for them), and what gRPC does not apply (header changes, rewrites,
    /// mirrors, CORS) is not sent.
    /// </summary>
    Proxyless = 0,

    /// <summary>An Envoy sidecar: everything the VirtualService says.</summary>
    Sidecar = 1,
}
