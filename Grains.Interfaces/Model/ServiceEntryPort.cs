namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A ServiceEntry port.</summary>
/// <param name="Number">The port number, 1-65535.</param>
/// <param name="Name">The port's name (a DNS label); endpoints' port maps refer to it.</param>
/// <param name="Protocol">The protocol in Istio's upper-case spelling, or null to have it sniffed.</param>
/// <param name="TargetPort">The endpoints' port when their port map names none, or null for <see cref="Number"/>.</param>
[GenerateSerializer, Immutable]
public sealed record ServiceEntryPort(
    [property: Id(0)] int Number,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Protocol,
    [property: Id(3)] int? TargetPort);
