using System.Diagnostics;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// One stream of the churn scenario: a real ADS stream (SotW or Delta) subscribed to every
/// service's ClusterLoadAssignment, ACKing each response. It does as little per resource as it
/// can (it reads a SotW resource's cluster name, not the whole assignment), so that the load
/// generator, which shares the cores with the servers, weighs on the figures as little as it can.
/// Armed with the names a change moves, it notes when it has received all of them.
/// </summary>
internal sealed class ChurnSidecar : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly HashSet<string> _received = new(StringComparer.Ordinal);
    private HashSet<string>? _expected;
    private Action<long>? _onComplete;
    private Task? _reader;

    public ChurnSidecar(GrpcChannel channel, string nodeId, bool delta, IReadOnlyList<string> clusters, bool ownsChannel)
    {
        _channel = channel;
        _ownsChannel = ownsChannel;
        NodeId = nodeId;
        Delta = delta;
        Clusters = clusters;
    }

    public string NodeId { get; }

    public bool Delta { get; }

    public IReadOnlyList<string> Clusters { get; }

    /// <summary>Completes with the stream's first response.</summary>
    public Task FirstResponse => _first.Task;

    /// <summary>When set, every resource received is kept here by name (the latest bytes): the baseline is loaded with them.</summary>
    public Dictionary<string, ByteString>? Captured { get; set; }

    /// <summary>Responses received.</summary>
    public long Responses;

    /// <summary>
    /// Waits for <paramref name="expected"/>: once a response (or several) has brought every one of
    /// those names, <paramref name="onComplete"/> is called once with the Stopwatch timestamp.
    /// </summary>
    public void Arm(HashSet<string> expected, Action<long> onComplete)
    {
        lock (_gate)
        {
            _received.Clear();
            _expected = expected;
            _onComplete = onComplete;
        }
    }

    public void Disarm()
    {
        lock (_gate)
        {
            _expected = null;
            _onComplete = null;
        }
    }

    public void Start()
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
        _reader = RunWithRetriesAsync(client);
    }

    private async Task RunWithRetriesAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        var random = new Random(NodeId.GetHashCode(StringComparison.Ordinal));
        for (var attempt = 0; ; attempt++)
        {
            var failure = await (Delta ? RunDeltaAsync(client) : RunSotwAsync(client));
            if (failure is null || _first.Task.IsCompleted || _cancel.IsCancellationRequested || attempt >= 30)
            {
                if (failure is not null)
                {
                    _first.TrySetException(failure);
                }

                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50 + random.Next(1000)), CancellationToken.None);
        }
    }

    private Task<Exception?> RunSotwAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNames.AddRange(Clusters);
        return RunAsync(client.StreamAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            var names = new List<string>(response.Resources.Count);
            foreach (var any in response.Resources)
            {
                var name = ClusterNameOf(any.Value);
                names.Add(name);
                if (Captured is not null)
                {
                    Captured[name] = any.Value;
                }
            }

            Received(names, now);
            var ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
            ack.ResourceNames.AddRange(Clusters);
            return ack;
        });
    }

    private Task<Exception?> RunDeltaAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNamesSubscribe.AddRange(Clusters);
        return RunAsync(client.DeltaAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            var names = new List<string>(response.Resources.Count);
            foreach (var resource in response.Resources)
            {
                names.Add(resource.Name);
                if (Captured is not null && resource.Resource_ is not null)
                {
                    Captured[resource.Name] = resource.Resource_.Value;
                }
            }

            Received(names, now);
            return new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
        });
    }

    private void Received(List<string> names, long now)
    {
        Action<long>? complete = null;
        lock (_gate)
        {
            if (_expected is { } expected)
            {
                foreach (var name in names)
                {
                    if (expected.Contains(name))
                    {
                        _received.Add(name);
                    }
                }

                if (_received.Count == expected.Count)
                {
                    complete = _onComplete;
                    _expected = null;
                    _onComplete = null;
                }
            }
        }

        complete?.Invoke(now);
    }

    /// <summary>A ClusterLoadAssignment's cluster_name (field 1, which protobuf writes first), read without parsing the rest.</summary>
    internal static string ClusterNameOf(ByteString payload)
    {
        var span = payload.Span;
        if (span.Length > 1 && span[0] == 0x0A)
        {
            var length = 0;
            var shift = 0;
            var at = 1;
            while (at < span.Length && shift < 35)
            {
                var b = span[at++];
                length |= (b & 0x7F) << shift;
                shift += 7;
                if ((b & 0x80) == 0)
                {
                    if (at + length <= span.Length)
                    {
                        return System.Text.Encoding.UTF8.GetString(span.Slice(at, length));
                    }

                    break;
                }
            }
        }

        return ClusterLoadAssignment.Parser.ParseFrom(payload).ClusterName;
    }

    /// <summary>Sends the subscription, then notes and ACKs every response until the stream ends; returns what ended it.</summary>
    private async Task<Exception?> RunAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest subscription, Func<TResponse, long, TRequest> handle)
    {
        using (call)
        {
            try
            {
                await call.RequestStream.WriteAsync(subscription);
                await foreach (var response in call.ResponseStream.ReadAllAsync(_cancel.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref Responses);
                    await call.RequestStream.WriteAsync(handle(response, now));
                    _first.TrySetResult();
                }
            }
            catch (Exception exception) when (exception is RpcException or OperationCanceledException or IOException or InvalidOperationException)
            {
                return exception;
            }

            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        if (_reader is not null)
        {
            try
            {
                await _reader.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception exception) when (exception is TimeoutException or OperationCanceledException or RpcException)
            {
            }
        }

        _cancel.Dispose();
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }
}
