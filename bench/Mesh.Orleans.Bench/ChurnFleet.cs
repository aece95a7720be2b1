using System.Diagnostics;
using Grpc.Net.Client;

namespace Mesh.Orleans.Bench;

/// <summary>
/// A fleet of <see cref="ChurnSidecar"/> streams, as the churn and scale scenarios open and time
/// them: spread round-robin over one or more xDS ports, a number to each HTTP/2 connection, opened
/// in waves; and armed together for one change, noting when each stream holds it.
/// </summary>
internal static class ChurnFleet
{
    /// <summary>
    /// Opens <paramref name="streams"/> streams (node ids <c>sidecar~127.0.0.1~PREFIX-k.NS~NS.svc.cluster.local</c>),
    /// stream k on <paramref name="ports"/>[k mod n], <paramref name="perConnection"/> to a connection,
    /// in waves of 200, and waits until each has its first response. <paramref name="configure"/>
    /// sees each stream (and its index) before it starts.
    /// </summary>
    public static async Task<List<ChurnSidecar>> ConnectAsync(IReadOnlyList<int> ports, int streams, bool delta, IReadOnlyList<string> clusters, int perConnection, string prefix, Action<int, ChurnSidecar>? configure = null)
    {
        var sidecars = new List<ChurnSidecar>(streams);
        var channels = new GrpcChannel?[ports.Count];
        for (var k = 0; k < streams; k++)
        {
            var port = k % ports.Count;
            var first = k / ports.Count % perConnection == 0;
            if (first)
            {
                channels[port] = GrpcChannel.ForAddress($"http://127.0.0.1:{ports[port]}", new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = null,
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
                });
            }

            var nodeId = $"sidecar~127.0.0.1~{prefix}-{k}.{MeshFiles.Namespace}~{MeshFiles.Namespace}.svc.cluster.local";
            var sidecar = new ChurnSidecar(channels[port]!, nodeId, delta, clusters, ownsChannel: first);
            configure?.Invoke(k, sidecar);
            sidecar.Start();
            sidecars.Add(sidecar);
            if (k % 200 == 199)
            {
                // Open in waves, as a fleet rolling in would.
                await Task.WhenAll(sidecars.Skip(k - 199).Take(200).Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(120))));
            }
        }

        await Task.WhenAll(sidecars.Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(300))));
        return sidecars;
    }

    /// <summary>Arms every stream of <paramref name="fleet"/> with the names one change moves.</summary>
    public static Arrivals Arm(IReadOnlyList<ChurnSidecar> fleet, HashSet<string> expected) => new(fleet, expected);

    /// <summary>When each stream of an armed fleet held the change (Stopwatch timestamps; 0 for not yet).</summary>
    internal sealed class Arrivals
    {
        private readonly IReadOnlyList<ChurnSidecar> _fleet;
        private readonly long[] _at;
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public Arrivals(IReadOnlyList<ChurnSidecar> fleet, HashSet<string> expected)
        {
            _fleet = fleet;
            _at = new long[fleet.Count];
            _remaining = fleet.Count;
            for (var i = 0; i < fleet.Count; i++)
            {
                var index = i;
                fleet[i].Arm(expected, at =>
                {
                    _at[index] = at;
                    if (Interlocked.Decrement(ref _remaining) == 0)
                    {
                        _all.TrySetResult();
                    }
                });
            }
        }

        /// <summary>Completes once every stream holds the change.</summary>
        public Task All => _all.Task;

        /// <summary>Disarms the fleet and returns each stream's time from <paramref name="start"/> to holding the change, in ms (streams that did not are left out).</summary>
        public List<double> Disarm(long start)
        {
            foreach (var sidecar in _fleet)
            {
                sidecar.Disarm();
            }

            return _at.Where(at => at != 0).Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds).ToList();
        }
    }
}
