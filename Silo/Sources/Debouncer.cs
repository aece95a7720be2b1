using System.Threading.Channels;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Coalesces bursts of change signals: a burst ends once no signal arrived for the quiet
/// period, or once the maximum delay has passed since its first signal, whichever is first,
/// so a steady trickle of changes cannot postpone a push forever.
/// </summary>
public sealed class Debouncer(TimeSpan quiet, TimeSpan maxDelay, TimeProvider time)
{
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>Records a change.</summary>
    public void Signal() => _signals.Writer.TryWrite(true);

    /// <summary>Waits for a burst to start and then to end; returns how many signals it coalesced (at least one).</summary>
    public async Task<int> WaitForBurstAsync(CancellationToken cancellationToken)
    {
        await _signals.Reader.ReadAsync(cancellationToken);
        var count = 1;
        var start = time.GetTimestamp();
        while (true)
        {
            var left = maxDelay - time.GetElapsedTime(start);
            var wait = left < quiet ? left : quiet;
            if (wait <= TimeSpan.Zero)
            {
                return count;
            }

            using var timeout = new CancellationTokenSource(wait, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await _signals.Reader.ReadAsync(linked.Token);
                count++;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return count;
            }
        }
    }
}
