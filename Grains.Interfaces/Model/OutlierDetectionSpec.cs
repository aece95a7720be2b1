namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A DestinationRule <c>outlierDetection</c>.</summary>
[GenerateSerializer, Immutable]
public sealed record OutlierDetectionSpec(
    [property: Id(0)] int? Consecutive5xxErrors,
    [property: Id(1)] int? ConsecutiveGatewayErrors,
    [property: Id(2)] int? ConsecutiveLocalOriginFailures,
    [property: Id(3)] bool? SplitExternalLocalOriginErrors,
    [property: Id(4)] TimeSpan? Interval,
    [property: Id(5)] TimeSpan? BaseEjectionTime,
    [property: Id(6)] int? MaxEjectionPercent,
    [property: Id(7)] int? MinHealthPercent);
