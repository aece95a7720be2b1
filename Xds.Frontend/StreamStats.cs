using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Live counters and sync state of one stream: responses and bytes sent, and per type what was
/// sent, ACKed and NACKed. The frontend answers <c>/debug/syncz</c> from these, and reports
/// them to the ProxyGrain at a low rate (NACKs and subscription changes at once), so that an
/// ACK never costs a grain call on the push path.
/// </summary>
public sealed class StreamStats
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TypeSyncStatus> _types = new(StringComparer.Ordinal);
    private long _responses;
    private long _bytes;
    private bool _dirty;

    /// <summary>Responses written to the stream.</summary>
    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Serialized response bytes written (without gRPC framing).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The stream's per-type sync state, by type URL.</summary>
    public IReadOnlyList<TypeSyncStatus> Types
    {
        get
        {
            lock (_gate)
            {
                return _types.Values.OrderBy(t => t.TypeUrl, StringComparer.Ordinal).ToList();
            }
        }
    }

    internal void Sent(int bytes)
    {
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void Apply(ProxyEvent e)
    {
        lock (_gate)
        {
            _types[e.TypeUrl] = TypeSyncStatus.Apply(_types.GetValueOrDefault(e.TypeUrl), e);
            _dirty = true;
        }
    }

    /// <summary>
    /// The state not yet reported to the ProxyGrain, as events that recreate it there; empty when
    /// nothing changed since the last report.
    /// </summary>
    internal List<ProxyEvent> TakeUnreported(string streamId)
    {
        lock (_gate)
        {
            if (!_dirty)
            {
                return [];
            }

            _dirty = false;
            var events = new List<ProxyEvent>();
            foreach (var t in _types.Values)
            {
                if (t.SentVersion is not null)
                {
                    events.Add(new ProxyEvent(streamId, t.TypeUrl, ProxyEventKind.Sent, t.SentVersion, t.SentNonce ?? string.Empty, null, t.SentAt ?? t.LastChange));
                }

                if (t.AckedVersion is not null)
                {
                    events.Add(new ProxyEvent(streamId, t.TypeUrl, ProxyEventKind.Acked, t.AckedVersion, t.AckedNonce ?? string.Empty, null, t.LastChange));
                }

                if (t.LastError is not null)
                {
                    // After the ACK it followed, as it did: the replayed ACK would otherwise clear it.
                    events.Add(new ProxyEvent(streamId, t.TypeUrl, ProxyEventKind.Nacked, t.NackedVersion ?? string.Empty, string.Empty, t.LastError, t.LastChange));
                }
            }

            return events;
        }
    }
}
