using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>The xDS streams open on this frontend process, for debug endpoints and tests.</summary>
public sealed class StreamRegistry
{
    private readonly ConcurrentDictionary<string, OpenStream> _streams = new(StringComparer.Ordinal);

    /// <summary>The open streams.</summary>
    public IReadOnlyCollection<OpenStream> Streams => _streams.Values.ToList();

    /// <summary>The frontend's metrics, once they are made (<see cref="XdsMetrics"/> sets it); null in tests without them.</summary>
    public XdsMetrics? Metrics { get; internal set; }

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

        /// <summary>What kind of proxy it is.</summary>
        public Grains.Interfaces.Proxies.ProxyKind Kind { get; init; } = Grains.Interfaces.Proxies.ProxyKind.Proxyless;

        /// <summary>The version the proxy announces (node metadata <c>ISTIO_VERSION</c>, else its user agent's), at most 40 characters.</summary>
        public string ProxyVersion { get; init; } = "unknown";

        /// <summary>Asks the stream, on its own loop, what it sent its proxy (secrets without their contents), for a config dump.</summary>
        internal Func<Task<IReadOnlyList<Debug.SentResource>>>? SentResources { get; init; }

        /// <summary>The node's member cluster (node metadata <c>CLUSTER_ID</c>); empty when it does not say.</summary>
        public string ClusterId { get; init; } = string.Empty;

        /// <summary>The node's namespace (node metadata <c>NAMESPACE</c>, else its DNS domain's); empty when neither says.</summary>
        public string Namespace { get; init; } = string.Empty;

        /// <summary>Node metadata <c>ISTIO_VERSION</c>, at most 128 characters; empty when the proxy does not say.</summary>
        public string IstioVersion { get; init; } = string.Empty;
    }
}
