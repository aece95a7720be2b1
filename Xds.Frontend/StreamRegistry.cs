using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>The xDS streams open on this frontend process, for debug endpoints and tests.</summary>
public sealed class StreamRegistry
{
    private readonly ConcurrentDictionary<string, OpenStream> _streams = new(StringComparer.Ordinal);

    /// <summary>The open streams.</summary>
    public IReadOnlyCollection<OpenStream> Streams => _streams.Values.ToList();

    /// <summary>The number of open streams.</summary>
    public int Count => _streams.Count;

    internal void Add(OpenStream stream) => _streams[stream.StreamId] = stream;

    internal void Remove(string streamId) => _streams.TryRemove(streamId, out _);

    /// <summary>Responses and bytes sent on all streams that are open now.</summary>
    public (long Responses, long Bytes) Totals => (_streams.Values.Sum(s => s.Stats.Responses), _streams.Values.Sum(s => s.Stats.Bytes));

    /// <summary>
    /// Moves every open stream of <paramref name="nodeId"/> to the cache of <paramref name="scope"/>
    /// (when what the proxy may see changed); each stream moves on its own loop and sends its
    /// proxy the difference. Returns how many streams were asked to move.
    /// </summary>
    public int Move(string nodeId, ScopeKey scope)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        ArgumentNullException.ThrowIfNull(scope);
        var moved = 0;
        foreach (var stream in _streams.Values.Where(s => s.NodeId == nodeId))
        {
            if (stream.Mover is { } move)
            {
                move(scope);
                moved++;
            }
        }

        return moved;
    }

    /// <summary>One open stream.</summary>
    public sealed record OpenStream(string StreamId, string NodeId, string Protocol, DateTimeOffset OpenedAt, string Peer, StreamStats Stats, string Scope = ScopeNames.Default)
    {
        /// <summary>Asks the stream to move to another scope's cache.</summary>
        internal Action<ScopeKey>? Mover { get; init; }
    }
}
