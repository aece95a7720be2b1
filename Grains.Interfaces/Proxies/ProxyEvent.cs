namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>One protocol event of one stream of a proxy, for <c>/debug/syncz</c>.</summary>
/// <param name="StreamId">The stream it happened on.</param>
/// <param name="TypeUrl">The resource type.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Version">The version sent, ACKed or NACKed; empty for a subscription.</param>
/// <param name="Nonce">The response nonce concerned; empty for a subscription.</param>
/// <param name="Error">The NACK's error message.</param>
/// <param name="At">When.</param>
/// <param name="ResourceNames">
/// For <see cref="ProxyEventKind.Subscribed"/>: a bounded sample of the subscribed names ("*" first for
/// the wildcard, then the first names in ordinal order), never all of a large subscription.
/// </param>
/// <param name="SubscriptionCount">For <see cref="ProxyEventKind.Subscribed"/>: how many names the subscription has ("*" counts as one).</param>
[GenerateSerializer, Immutable]
public sealed record ProxyEvent(
    [property: Id(0)] string StreamId,
    [property: Id(1)] string TypeUrl,
    [property: Id(2)] ProxyEventKind Kind,
    [property: Id(3)] string Version,
    [property: Id(4)] string Nonce,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] IReadOnlyList<string>? ResourceNames = null,
    [property: Id(8)] int SubscriptionCount = 0);
