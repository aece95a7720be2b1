namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>Where one resource type stands for a proxy: what it subscribes to, last sent, last ACKed, last NACKed and why.</summary>
/// <remarks>
/// <c>Subscription</c> is a bounded sample of the subscribed names ("*" first for the wildcard) and
/// <c>SubscriptionCount</c> how many there are: a proxy subscribing 100,000 names must not cost
/// every holder of its status (stream stats, ProxyGrain, debug pages) 100,000 strings.
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
    [property: Id(8)] int SubscriptionCount = 0)
{
    /// <summary>The status after <paramref name="e"/>, starting from <paramref name="current"/> (null: nothing yet).</summary>
    public static TypeSyncStatus Apply(TypeSyncStatus? current, ProxyEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        current ??= new TypeSyncStatus(e.TypeUrl, null, null, null, null, null, e.At);
        return e.Kind switch
        {
            ProxyEventKind.Sent => current with { SentVersion = e.Version, SentNonce = e.Nonce, LastChange = e.At },
            ProxyEventKind.Acked => current with { AckedVersion = e.Version, LastChange = e.At },
            ProxyEventKind.Subscribed => current with { Subscription = e.ResourceNames ?? [], SubscriptionCount = e.SubscriptionCount, LastChange = e.At },
            _ => current with { NackedVersion = e.Version, NackError = e.Error, LastChange = e.At },
        };
    }

    /// <summary>ACKED, NACKED or SENT: where the last response of the type stands.</summary>
    public string State => NackedVersion is not null && NackedVersion == SentVersion ? "NACKED"
        : AckedVersion is not null && AckedVersion == SentVersion ? "ACKED"
        : "SENT";
}
