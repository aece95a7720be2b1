using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One proxy, by node id: the node it announced, its open streams, and per type what was
/// last sent, ACKed and NACKed. Frontends report to it one-way; nothing on the push path
/// waits for it. Its state is rebuilt when the proxy reconnects, so it is not persisted.
/// </summary>
/// <remarks>
/// Lifetime: frontends report only when something changed, so a proxy with an open but quiet
/// stream sends nothing for hours; a keep-alive grain timer holds the activation while any
/// stream is open. Once the last stream closed, nothing holds it and Orleans collects it after
/// <see cref="ProxyGrainOptions.IdleTimeout"/> (its class-specific collection age, set by the host).
/// A subscription is held as its count and a bounded sample (see <see cref="TypeSyncStatus"/>).
/// </remarks>
public sealed class ProxyGrain(IOptions<ProxyGrainOptions> options) : Grain, IProxyGrain
{
    private const int RememberedClosedStreams = 64;

    private readonly HashSet<string> _streams = new(StringComparer.Ordinal);

    // One-way reports may arrive out of order: a stream's "connected" can land after its
    // "disconnected". Remembering recently closed streams keeps such a late report from
    // resurrecting one.
    private readonly Queue<string> _closed = new();
    private readonly Dictionary<string, TypeSyncStatus> _types = new(StringComparer.Ordinal);
    private ProxyNode? _node;
    private IGrainTimer? _keepAlive;

    /// <inheritdoc/>
    public Task ConnectedAsync(string streamId, ProxyNode node)
    {
        if (!_closed.Contains(streamId))
        {
            _streams.Add(streamId);
        }

        _node = node;
        UpdateKeepAlive();
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

        UpdateKeepAlive();
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

    /// <summary>Keeps the activation alive while a stream is open (ticking well within the collection age), and lets it go once none is.</summary>
    private void UpdateKeepAlive()
    {
        if (_streams.Count > 0 && _keepAlive is null)
        {
            var period = options.Value.IdleTimeout / 2;
            _keepAlive = this.RegisterGrainTimer(
                static _ => Task.CompletedTask,
                new GrainTimerCreationOptions { DueTime = period, Period = period, KeepAlive = true, Interleave = true });
        }
        else if (_streams.Count == 0 && _keepAlive is not null)
        {
            _keepAlive.Dispose();
            _keepAlive = null;
        }
    }
}
