namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>StringMatch</c> (<c>exact</c>, <c>prefix</c> or <c>regex</c>).</summary>
[GenerateSerializer, Immutable]
public sealed record StringMatchSpec(
    [property: Id(0)] StringMatchKind Kind,
    [property: Id(1)] string Value);
