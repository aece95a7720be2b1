namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One entry of an <c>HTTPMatchRequest.headers</c> map.</summary>
[GenerateSerializer, Immutable]
public sealed record HeaderMatchSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] StringMatchSpec Match);
