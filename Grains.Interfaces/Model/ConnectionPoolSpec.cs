namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A DestinationRule <c>connectionPool</c> (TCP and HTTP settings together).</summary>
[GenerateSerializer, Immutable]
public sealed record ConnectionPoolSpec(
    [property: Id(0)] int? MaxConnections,
    [property: Id(1)] TimeSpan? ConnectTimeout,
    [property: Id(2)] int? Http1MaxPendingRequests,
    [property: Id(3)] int? Http2MaxRequests,
    [property: Id(4)] int? MaxRequestsPerConnection,
    [property: Id(5)] int? MaxRetries,
    [property: Id(6)] TimeSpan? IdleTimeout,
    [property: Id(7)] string? H2UpgradePolicy,
    [property: Id(8)] bool? UseClientProtocol,
    [property: Id(9)] int? MaxConcurrentStreams);
