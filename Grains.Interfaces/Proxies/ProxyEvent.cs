namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>One protocol event of one stream of a proxy, for <c>/debug/syncz</c>.</summary>
[GenerateSerializer, Immutable]
public sealed record ProxyEvent(
    [property: Id(0)] string StreamId,
    [property: Id(1)] string TypeUrl,
    [property: Id(2)] ProxyEventKind Kind,
    [property: Id(3)] string Version,
    [property: Id(4)] string Nonce,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset At);
