namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPMatchRequest</c>: all of its conditions must hold.</summary>
/// <param name="Uri">The path condition, or null for any path.</param>
/// <param name="Headers">Header conditions, sorted by name.</param>
/// <param name="Port">Restricts the match to one service port, or null for all.</param>
[GenerateSerializer, Immutable]
public sealed record HttpMatchSpec(
    [property: Id(0)] StringMatchSpec? Uri,
    [property: Id(1)] IReadOnlyList<HeaderMatchSpec> Headers,
    [property: Id(2)] int? Port);
