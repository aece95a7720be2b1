using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// An <see cref="IClusterConfigSink"/> that applies every message a source sends to its own
/// copy of the cluster (checking the protocol: a change follows the last message) and records
/// the declaration after each, and can be told to fail or to ask for everything, so a source's
/// behaviour is tested without a silo.
/// </summary>
public sealed class RecordingConfigSink : IClusterConfigSink
{
    private readonly object _gate = new();
    private readonly List<ClusterConfig> _applied = [];
    private readonly List<ClusterChanges> _messages = [];
    private readonly Dictionary<MeshObjectKey, object> _objects = [];
    private IReadOnlyList<RejectedObject> _rejected = [];
    private Guid? _epoch;
    private long _sequence;
    private Func<Exception?> _failure = () => null;

    /// <summary>The declaration after every message applied so far.</summary>
    public IReadOnlyList<ClusterConfig> Applied
    {
        get
        {
            lock (_gate)
            {
                return [.. _applied];
            }
        }
    }

    /// <summary>Every message applied so far, as sent.</summary>
    public IReadOnlyList<ClusterChanges> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The declaration after the last message applied, or null.</summary>
    public ClusterConfig? Last
    {
        get
        {
            lock (_gate)
            {
                return _applied.Count == 0 ? null : _applied[^1];
            }
        }
    }

    /// <summary>Makes the next applies throw what <paramref name="failure"/> returns (null: succeed).</summary>
    public void FailWith(Func<Exception?> failure) => _failure = failure;

    /// <summary>Forgets the protocol state, as a reactivated ClusterGrain does: the next change is refused until a full message.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            _epoch = null;
        }
    }

    /// <inheritdoc/>
    public Task<bool> ApplyAsync(string clusterId, ClusterChanges changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_failure() is { } exception)
        {
            throw exception;
        }

        lock (_gate)
        {
            if (!changes.Full && (changes.Epoch != _epoch || changes.Sequence != _sequence + 1))
            {
                return Task.FromResult(false);
            }

            if (changes.Full)
            {
                _objects.Clear();
            }

            foreach (var key in changes.Deleted)
            {
                Assert.True(_objects.Remove(key), $"{key} was deleted but never sent");
            }

            foreach (var value in changes.Upserted)
            {
                _objects[MeshObjectKey.Of(value)] = value;
            }

            _rejected = changes.Rejected ?? _rejected;
            (_epoch, _sequence) = (changes.Epoch, changes.Sequence);
            _messages.Add(changes);
            _applied.Add(ClusterConfig.Of(_objects.Values, _rejected));
        }

        return Task.FromResult(true);
    }
}
