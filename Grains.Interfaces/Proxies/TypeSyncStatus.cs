namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>Where one resource type stands for a proxy: what it subscribes to, last sent, last ACKed, last NACKed and why.</summary>
[GenerateSerializer, Immutable]
public sealed record TypeSyncStatus(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string? SentVersion,
    [property: Id(2)] string? SentNonce,
    [property: Id(3)] string? AckedVersion,
    [property: Id(4)] string? NackedVersion,
    [property: Id(5)] string? NackError,
    [property: Id(6)] DateTimeOffset LastChange,
    [property: Id(7)] IReadOnlyList<string>? Subscription = null);
