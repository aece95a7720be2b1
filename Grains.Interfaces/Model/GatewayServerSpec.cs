namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One server of a Gateway: a port, the hosts it exposes, and its TLS settings.</summary>
/// <param name="PortNumber">The port listened on; 0 only when <see cref="Bind"/> is a Unix domain socket.</param>
/// <param name="PortName">The port's name, unique within the Gateway.</param>
/// <param name="Protocol">The port's protocol in Istio's upper-case spelling (HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, REDIS, MYSQL, TCP or TLS).</param>
/// <param name="Hosts">The hosts exposed, each with the namespace whose VirtualServices may bind to it.</param>
/// <param name="Bind">The IP address or <c>unix://</c> socket the listener binds to, or null for every address.</param>
/// <param name="Name">The server's optional name, unique within the Gateway.</param>
/// <param name="Tls">The TLS settings, or null.</param>
[GenerateSerializer, Immutable]
public sealed record GatewayServerSpec(
    [property: Id(0)] int PortNumber,
    [property: Id(1)] string PortName,
    [property: Id(2)] string Protocol,
    [property: Id(3)] IReadOnlyList<GatewayHostSpec> Hosts,
    [property: Id(4)] string? Bind,
    [property: Id(5)] string? Name,
    [property: Id(6)] GatewayTlsSpec? Tls);
