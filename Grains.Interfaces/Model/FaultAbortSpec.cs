namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPFaultInjection.Abort</c>: exactly one of an HTTP status and a gRPC status.</summary>
/// <param name="HttpStatus">The HTTP status returned, or null.</param>
/// <param name="GrpcStatus">The gRPC status code returned (its number), or null.</param>
/// <param name="Percentage">The share of requests aborted, 0 to 100; null means Envoy's default (every request).</param>
[GenerateSerializer, Immutable]
public sealed record FaultAbortSpec(
    [property: Id(0)] int? HttpStatus,
    [property: Id(1)] int? GrpcStatus,
    [property: Id(2)] double? Percentage);
