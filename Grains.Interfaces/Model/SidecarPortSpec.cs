namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>The <c>port</c> of a Sidecar's egress or ingress listener.</summary>
/// <param name="Number">The port number; 0 only on an egress listener bound to a Unix domain socket.</param>
/// <param name="Protocol">The protocol in Istio's upper-case spelling, or null when not given (the proxy sniffs it).</param>
/// <param name="Name">The port's name, or null.</param>
[GenerateSerializer, Immutable]
public sealed record SidecarPortSpec(
    [property: Id(0)] int Number,
    [property: Id(1)] string? Protocol,
    [property: Id(2)] string? Name);
