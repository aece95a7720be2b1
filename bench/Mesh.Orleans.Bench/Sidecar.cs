using System.Diagnostics;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// One simulated sidecar: a real ADS stream (SotW or Delta) with its own node id, subscribed
/// to some ClusterLoadAssignments, ACKing every response, and noting when each cluster's
/// version changes.
/// </summary>
internal sealed class Sidecar : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private Task? _reader;

    private readonly bool _ownsChannel;

    public Sidecar(GrpcChannel channel, string nodeId, bool delta, IReadOnlyList<string> clusters, bool ownsChannel)
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

    public long Responses;

    public long Bytes;

    /// <summary>Called with (cluster, version, Stopwatch timestamp) whenever a cluster's version changes.</summary>
    public Action<Sidecar, string, string, long>? OnChange { get; set; }

    /// <summary>When set, called with every ClusterLoadAssignment received (parsed) and its Stopwatch timestamp.</summary>
    public Action<Sidecar, ClusterLoadAssignment, long>? OnAssignment { get; set; }

    public Task FirstResponse => _first.Task;

    /// <summary>Whether the stream ended (by the server or a failure) before it was disposed.</summary>
    public bool Ended => _reader is { IsCompleted: true } && !_cancel.IsCancellationRequested;

    public Dictionary<string, string> Versions()
    {
        lock (_gate)
        {
            return new Dictionary<string, string>(_versions, StringComparer.Ordinal);
        }
    }

    public string? VersionOf(string cluster)
    {
        lock (_gate)
        {
            return _versions.GetValueOrDefault(cluster);
        }
    }

    /// <summary>Retries that a connect needed (a storm overflows the server's accept backlog; sidecars retry with jitter, as Envoy does).</summary>
    public int Retries;

    public void Start(IReadOnlyDictionary<string, string>? initialVersions = null)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
        _reader = RunWithRetriesAsync(client, initialVersions);
    }

    private async Task RunWithRetriesAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, IReadOnlyDictionary<string, string>? initialVersions)
    {
        var random = new Random(NodeId.GetHashCode(StringComparison.Ordinal));
        for (var attempt = 0; ; attempt++)
        {
            var failure = await (Delta ? RunDeltaAsync(client, initialVersions) : RunSotwAsync(client));
            if (failure is null || _first.Task.IsCompleted || _cancel.IsCancellationRequested || attempt >= 30)
            {
                if (failure is not null)
                {
                    _first.TrySetException(failure);
                }

                return;
            }

            Interlocked.Increment(ref Retries);
            await Task.Delay(TimeSpan.FromMilliseconds(50 + random.Next(1000)), CancellationToken.None);
        }
    }

    private Task<Exception?> RunSotwAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNames.AddRange(Clusters);
        return RunAsync(client.StreamAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            foreach (var any in response.Resources)
            {
                var assignment = ClusterLoadAssignment.Parser.ParseFrom(any.Value);
                OnAssignment?.Invoke(this, assignment, now);
                Note(assignment.ClusterName, ResourceVersion.Of(any.Value.Span), now);
            }

            var ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
            ack.ResourceNames.AddRange(Clusters);
            return ack;
        });
    }

    private Task<Exception?> RunDeltaAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, IReadOnlyDictionary<string, string>? initialVersions)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNamesSubscribe.AddRange(Clusters);
        foreach (var (name, version) in initialVersions ?? new Dictionary<string, string>())
        {
            request.InitialResourceVersions[name] = version;
        }

        return RunAsync(client.DeltaAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            foreach (var resource in response.Resources)
            {
                if (OnAssignment is { } onAssignment && resource.Resource_ is not null)
                {
                    onAssignment(this, ClusterLoadAssignment.Parser.ParseFrom(resource.Resource_.Value), now);
                }

                Note(resource.Name, resource.Version, now);
            }

            return new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
        });
    }

    /// <summary>Sends the subscription, then notes and ACKs every response until the stream ends; returns what ended it.</summary>
    private async Task<Exception?> RunAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest subscription, Func<TResponse, long, TRequest> handle)
        where TResponse : Google.Protobuf.IMessage
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
                    Interlocked.Add(ref Bytes, response.CalculateSize());
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

    private void Note(string cluster, string version, long timestamp)
    {
        bool changed;
        lock (_gate)
        {
            changed = !_versions.TryGetValue(cluster, out var old) || old != version;
            _versions[cluster] = version;
        }

        if (changed)
        {
            OnChange?.Invoke(this, cluster, version, timestamp);
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
