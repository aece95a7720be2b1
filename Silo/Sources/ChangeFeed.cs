using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// One source's side of the change protocol with its member cluster: numbers each message
/// within this run's epoch, sends everything first and whenever the receiver asks for it (or a
/// message may have been lost to a failure), and otherwise only what changed.
/// </summary>
public sealed class ChangeFeed(string clusterId, IClusterConfigSink sink)
{
    private readonly Guid _epoch = Guid.NewGuid();
    private long _sequence;
    private bool _full = true;

    /// <summary>
    /// Sends what <paramref name="take"/> returns (called with whether everything is needed);
    /// nothing when it holds no change. Returns the message sent, or null. Throws what the sink
    /// throws, after which the next message is a full one.
    /// </summary>
    public async Task<ClusterChanges?> SendAsync(Func<bool, ClusterChanges> take, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(take);

        // Twice at most: a message refused as out of sequence is followed by a full one, which is never refused.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var changes = take(_full);
            if (!changes.Full && changes.Count == 0 && changes.Rejected is null)
            {
                return null;
            }

            changes = changes with { Epoch = _epoch, Sequence = ++_sequence };
            bool accepted;
            try
            {
                accepted = await sink.ApplyAsync(clusterId, changes, cancellationToken);
            }
            catch
            {
                _full = true;
                throw;
            }

            _full = !accepted;
            if (accepted)
            {
                if (changes.Rejected is { } rejected)
                {
                    SourceMetrics.Rejected(clusterId, rejected.Count);
                }

                return changes;
            }
        }

        throw new InvalidOperationException($"Member cluster {clusterId} refused a full message.");
    }
}
