namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>The protocol of a service port, as Istio names them.</summary>
public enum MeshProtocol
{
    /// <summary>Not declared: Istio detects HTTP by sniffing and otherwise proxies TCP.</summary>
    Unknown,

    /// <summary>HTTP/1.1.</summary>
    Http,

    /// <summary>HTTP/2.</summary>
    Http2,

    /// <summary>gRPC.</summary>
    Grpc,

    /// <summary>gRPC-Web.</summary>
    GrpcWeb,

    /// <summary>HTTPS: TLS the mesh does not terminate, routed as TLS.</summary>
    Https,

    /// <summary>Opaque TCP.</summary>
    Tcp,

    /// <summary>TLS the mesh does not terminate (routed by SNI).</summary>
    Tls,

    /// <summary>MongoDB, proxied as TCP.</summary>
    Mongo,

    /// <summary>Redis, proxied as TCP.</summary>
    Redis,

    /// <summary>MySQL, proxied as TCP.</summary>
    MySql,

    /// <summary>UDP, which Envoy sidecars do not proxy.</summary>
    Udp,
}

/// <summary>How Istio infers a Kubernetes service port's protocol.</summary>
/// <remarks>
/// Istio's "Protocol Selection" (https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/):
/// the port's <c>appProtocol</c> when set, else the port name's prefix (<c>&lt;protocol&gt;[-&lt;suffix&gt;]</c>),
/// case-insensitive; anything else is detected at run time. A UDP port is UDP whatever its name.
/// </remarks>
public static class MeshProtocols
{
    /// <summary>The protocol of a port named <paramref name="name"/> with <paramref name="appProtocol"/> and transport <paramref name="transport"/>.</summary>
    public static MeshProtocol Infer(string? name, string? appProtocol, string? transport = "TCP")
    {
        if (string.Equals(transport, "UDP", StringComparison.OrdinalIgnoreCase))
        {
            return MeshProtocol.Udp;
        }

        if (!string.IsNullOrEmpty(appProtocol))
        {
            var fromApp = appProtocol.ToLowerInvariant() switch
            {
                "kubernetes.io/h2c" => MeshProtocol.Http2,
                "kubernetes.io/ws" => MeshProtocol.Http,
                "kubernetes.io/wss" => MeshProtocol.Https,
                var other => Parse(other),
            };
            if (fromApp != MeshProtocol.Unknown)
            {
                return fromApp;
            }
        }

        if (string.IsNullOrEmpty(name))
        {
            return MeshProtocol.Unknown;
        }

        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return Parse((dash < 0 ? name : name[..dash]).ToLowerInvariant());
    }

    /// <summary>True for the protocols a sidecar routes as HTTP (with an HTTP connection manager).</summary>
    public static bool IsHttp(this MeshProtocol protocol) =>
        protocol is MeshProtocol.Http or MeshProtocol.Http2 or MeshProtocol.Grpc or MeshProtocol.GrpcWeb;

    /// <summary>True for the protocols a sidecar proxies as opaque TCP (or routes by SNI).</summary>
    public static bool IsTcp(this MeshProtocol protocol) =>
        protocol is MeshProtocol.Tcp or MeshProtocol.Tls or MeshProtocol.Https or MeshProtocol.Mongo or MeshProtocol.Redis or MeshProtocol.MySql;

    private static MeshProtocol Parse(string value) => value switch
    {
        "http" => MeshProtocol.Http,
        "http2" => MeshProtocol.Http2,
        "grpc" => MeshProtocol.Grpc,
        "grpc-web" => MeshProtocol.GrpcWeb,
        "https" => MeshProtocol.Https,
        "tcp" => MeshProtocol.Tcp,
        "tls" => MeshProtocol.Tls,
        "mongo" => MeshProtocol.Mongo,
        "redis" => MeshProtocol.Redis,
        "mysql" => MeshProtocol.MySql,
        "udp" => MeshProtocol.Udp,
        _ => MeshProtocol.Unknown,
    };
}
