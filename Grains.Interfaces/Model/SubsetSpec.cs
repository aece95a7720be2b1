namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A DestinationRule subset: the endpoints whose pods carry <see cref="Labels"/>, with its own policy.</summary>
[GenerateSerializer, Immutable]
public sealed record SubsetSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(2)] TrafficPolicySpec? TrafficPolicy);
