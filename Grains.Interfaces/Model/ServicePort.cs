namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One port of a Kubernetes Service (<c>spec.ports[]</c>).</summary>
/// <param name="Name">The port name; empty when the Service has a single unnamed port.</param>
/// <param name="Port">The service port the mesh routes on.</param>
/// <param name="TargetPort">The <c>targetPort</c> as written (a number or a port name), or null.</param>
/// <param name="Protocol">TCP, UDP or SCTP.</param>
/// <param name="AppProtocol">The <c>appProtocol</c>, or null.</param>
[GenerateSerializer, Immutable]
public sealed record ServicePort(
    [property: Id(0)] string Name,
    [property: Id(1)] int Port,
    [property: Id(2)] string? TargetPort,
    [property: Id(3)] string Protocol,
    [property: Id(4)] string? AppProtocol);
