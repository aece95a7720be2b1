namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>Where one resource type stands for a proxy: what it subscribes to, last sent, last ACKed, last NACKed and why.</summary>
/// <remarks>
/// <c>Subscription</c> is a bounded sample of the subscribed names ("*" first for the wildcard) and
/// <c>SubscriptionCount</c> how many there are: a proxy subscribing 100,000 names must not cost
/// every holder of its status (stream stats, ProxyGrain, debug pages) 100,000 strings.
/// <c>SentAt</c>, <c>AckedNonce</c> and <c>LastError</c> are istiod's <c>LastSendTime</c>,
/// <c>NonceAcked</c> and <c>LastError</c> (a NACK's error, cleared by the next ACK), from which
/// CSDS and <c>istio.io/debug/syncz</c> work out SYNCED, STALE, NOT_SENT and ERROR as istiod does.
/// </remarks>
[GenerateSerializer, Immutable]
public sealed record TypeSyncStatus(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string? SentVersion,
    [property: Id(2)] string? SentNonce,
    [property: Id(3)] string? AckedVersion,
    [property: Id(4)] string? NackedVersion,
    [property: Id(5)] string? NackError,
    [property: Id(6)] DateTimeOffset LastChange,
    [property: Id(7)] IReadOnlyList<string>? Subscription = null,
    [property: Id(8)] int SubscriptionCount = 0,
    [property: Id(9)] DateTimeOffset? SentAt = null,
    [property: Id(10)] string? AckedNonce = null,
    [property: Id(11)] string? LastError = null)
{
    /// <summary>The status after <paramref name="e"/>, starting from <paramref name="current"/> (null: nothing yet).</summary>
    public static TypeSyncStatus Apply(TypeSyncStatus? current, ProxyEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        current ??= new TypeSyncStatus(e.TypeUrl, null, null, null, null, null, e.At);
        return e.Kind switch
        {
            ProxyEventKind.Sent => current with { SentVersion = e.Version, SentNonce = e.Nonce, SentAt = e.At, LastChange = e.At },
            ProxyEventKind.Acked => current with { AckedVersion = e.Version, AckedNonce = e.Nonce, LastError = null, LastChange = e.At },
            ProxyEventKind.Subscribed => current with { Subscription = e.ResourceNames ?? [], SubscriptionCount = e.SubscriptionCount, LastChange = e.At },
            _ => current with { NackedVersion = e.Version, NackError = e.Error, LastError = string.IsNullOrEmpty(e.Error) ? "NACK without a message" : e.Error, LastChange = e.At },
        };
    }

    /// <summary>ACKED, NACKED or SENT: where the last response of the type stands.</summary>
    public string State => NackedVersion is not null && NackedVersion == SentVersion ? "NACKED"
        : AckedVersion is not null && AckedVersion == SentVersion ? "ACKED"
        : "SENT";
}
