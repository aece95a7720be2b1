namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One entry of an <c>HTTPMatchRequest</c> <c>headers</c>, <c>withoutHeaders</c> or <c>queryParams</c> map.</summary>
/// <param name="Name">The header (lowercase) or query parameter name.</param>
/// <param name="Match">How its value compares; <see cref="StringMatchKind.Present"/> when only its presence counts.</param>
[GenerateSerializer, Immutable]
public sealed record HeaderMatchSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] StringMatchSpec Match);
