namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>Headers.HeaderOperations</c>.</summary>
/// <param name="Set">Headers overwritten (or added), sorted by name.</param>
/// <param name="Add">Headers appended, sorted by name.</param>
/// <param name="Remove">Headers removed, in the order written.</param>
[GenerateSerializer, Immutable]
public sealed record HeaderOperationsSpec(
    [property: Id(0)] IReadOnlyList<HeaderValueSpec> Set,
    [property: Id(1)] IReadOnlyList<HeaderValueSpec> Add,
    [property: Id(2)] IReadOnlyList<string> Remove);
