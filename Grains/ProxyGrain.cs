using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One proxy, by node id: the node it announced, its open streams, and per type what was
/// last sent, ACKed and NACKed. Frontends report to it one-way; nothing on the push path
/// waits for it. Its state is rebuilt when the proxy reconnects, so it is not persisted.
/// </summary>
public sealed class ProxyGrain : Grain, IProxyGrain
{
    private const int RememberedClosedStreams = 64;

    private readonly HashSet<string> _streams = new(StringComparer.Ordinal);

    // One-way reports may arrive out of order: a stream's "connected" can land after its
    // "disconnected". Remembering recently closed streams keeps such a late report from
    // resurrecting one.
    private readonly Queue<string> _closed = new();
    private readonly Dictionary<string, TypeSyncStatus> _types = new(StringComparer.Ordinal);
    private ProxyNode? _node;

    /// <inheritdoc/>
    public Task ConnectedAsync(string streamId, ProxyNode node)
    {
        if (!_closed.Contains(streamId))
        {
            _streams.Add(streamId);
        }

        _node = node;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DisconnectedAsync(string streamId)
    {
        _streams.Remove(streamId);
        _closed.Enqueue(streamId);
        if (_closed.Count > RememberedClosedStreams)
        {
            _closed.Dequeue();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RecordAsync(IReadOnlyList<ProxyEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            _types[e.TypeUrl] = TypeSyncStatus.Apply(_types.GetValueOrDefault(e.TypeUrl), e);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<ProxyStatus> GetStatusAsync() => Task.FromResult(new ProxyStatus(
        this.GetPrimaryKeyString(),
        _node,
        _streams.Count,
        _types.Values.OrderBy(t => t.TypeUrl, StringComparer.Ordinal).ToList()));
}
