namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>Headers</c>: operations on request and response headers.</summary>
/// <param name="Request">What happens to the request's headers, or null.</param>
/// <param name="Response">What happens to the response's headers, or null.</param>
[GenerateSerializer, Immutable]
public sealed record HeadersSpec(
    [property: Id(0)] HeaderOperationsSpec? Request,
    [property: Id(1)] HeaderOperationsSpec? Response);
