namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>Where copies of a route's requests go: an Istio <c>HTTPMirrorPolicy</c>, or <c>mirror</c> with <c>mirrorPercentage</c>.</summary>
/// <param name="Host">The mirror's hostname, resolved to a fully qualified name.</param>
/// <param name="Port">Its port, or null to infer it as for a route destination.</param>
/// <param name="Subset">Its DestinationRule subset, or null.</param>
/// <param name="Percentage">The share of requests mirrored, 0 to 100 (100 when not written).</param>
[GenerateSerializer, Immutable]
public sealed record HttpMirrorSpec(
    [property: Id(0)] string Host,
    [property: Id(1)] int? Port,
    [property: Id(2)] string? Subset,
    [property: Id(3)] double Percentage);
