namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPDirectResponse</c>: the route answers itself instead of forwarding.</summary>
/// <param name="Status">The HTTP status, 200 to 599.</param>
/// <param name="BodyString">The body as text (<c>body.string</c>), or null.</param>
/// <param name="BodyBytes">The body as bytes (<c>body.bytes</c>, base64 in YAML), or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpDirectResponseSpec(
    [property: Id(0)] int Status,
    [property: Id(1)] string? BodyString,
    [property: Id(2)] byte[]? BodyBytes);
