namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A header name and the value to set or add.</summary>
[GenerateSerializer, Immutable]
public sealed record HeaderValueSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] string Value);
