namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Lets every scope subscription of the process renew now rather than at its next interval: when
/// the process's connection to the silos changed (a gateway lost or found), updates may have been
/// dropped on the way and scope grains may have moved to another silo as a new generation, which a
/// renewal finds (it compares generations and epochs and resyncs what is behind).
/// </summary>
public sealed class SubscriptionRenewals
{
    private CancellationTokenSource _current = new();
    private int _count;

    /// <summary>Cancelled when the subscriptions should renew now; a new one follows each time.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <summary>How many times the subscriptions were asked to renew early.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Asks every subscription to renew now.</summary>
    public void RenewNow()
    {
        var previous = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        Interlocked.Increment(ref _count);
        previous.Cancel();
        previous.Dispose();
    }
}
