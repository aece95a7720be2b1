namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One entry of an EndpointSlice's <c>ports</c>: the port name it serves and the number endpoints listen on.</summary>
[GenerateSerializer, Immutable]
public sealed record SlicePort(
    [property: Id(0)] string Name,
    [property: Id(1)] int? Port,
    [property: Id(2)] string Protocol);
