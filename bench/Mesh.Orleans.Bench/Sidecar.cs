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
/// version changes. It checks what it receives as a proxy would before it ACKs (each resource
/// parses, is one it asked for, and carries a version), and NACKs with the reason otherwise.
/// Given <see cref="Failover"/> channels, a stream that ends after its first response reconnects
/// as Envoy does: to the next address, a Delta stream announcing the versions it holds in
/// <c>initial_resource_versions</c>.
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

    /// <summary>Where an ended stream reconnects, in turn (a load balancer's other backends). Unset: an ended stream stays ended.</summary>
    public IReadOnlyList<GrpcChannel>? Failover { get; init; }

    /// <summary>Streams opened again after one ended.</summary>
    public int Reconnects;

    /// <summary>Delta: resources a reconnected stream was sent at the very version it announced it held (a re-send a resync should not make).</summary>
    public long ResentUnchanged;

    /// <summary>Responses NACKed: one of their resources did not parse, was not asked for, or had no version.</summary>
    public long Nacks;

    /// <summary>The first NACK's reason, for the report.</summary>
    public string? FirstNack { get; private set; }

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

                break;
            }

            Interlocked.Increment(ref Retries);
            await Task.Delay(TimeSpan.FromMilliseconds(50 + random.Next(1000)), CancellationToken.None);
        }

        if (Failover is not { Count: > 0 } failover || !_first.Task.IsCompletedSuccessfully)
        {
            return;
        }

        // Reconnect, as Envoy does with a backoff (base 500 ms, jittered), at most 100 times.
        for (var reconnect = 0; reconnect < 100 && !_cancel.IsCancellationRequested; reconnect++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500)), CancellationToken.None);
            if (_cancel.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref Reconnects);
            client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(failover[reconnect % failover.Count]);
            _ = await (Delta ? RunDeltaAsync(client, Versions()) : RunSotwAsync(client));
        }
    }

    private Task<Exception?> RunSotwAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNames.AddRange(Clusters);
        string? acked = null;
        return RunAsync(client.StreamAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            var parsed = new List<(ClusterLoadAssignment Assignment, string Version)>(response.Resources.Count);
            var problem = string.IsNullOrEmpty(response.VersionInfo) ? "response without version_info" : null;
            foreach (var any in response.Resources)
            {
                if (problem is not null)
                {
                    break;
                }

                problem = Check(any.TypeUrl, any.Value, out var assignment);
                if (problem is null)
                {
                    parsed.Add((assignment!, ResourceVersion.Of(any.Value.Span)));
                }
            }

            var reply = new DiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
            reply.ResourceNames.AddRange(Clusters);
            if (problem is not null)
            {
                Nack(problem);
                reply.VersionInfo = acked ?? string.Empty;
                reply.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = problem };
                return reply;
            }

            foreach (var (assignment, version) in parsed)
            {
                OnAssignment?.Invoke(this, assignment, now);
                Note(assignment.ClusterName, version, now);
            }

            acked = response.VersionInfo;
            reply.VersionInfo = acked;
            return reply;
        });
    }

    private Task<Exception?> RunDeltaAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, IReadOnlyDictionary<string, string>? initialVersions)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, Node = new Node { Id = NodeId } };
        request.ResourceNamesSubscribe.AddRange(Clusters);
        var announced = new Dictionary<string, string>(initialVersions ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (name, version) in announced)
        {
            request.InitialResourceVersions[name] = version;
        }

        return RunAsync(client.DeltaAggregatedResources(cancellationToken: _cancel.Token), request, (response, now) =>
        {
            var parsed = new List<(string Name, ClusterLoadAssignment Assignment, string Version)>(response.Resources.Count);
            string? problem = null;
            foreach (var resource in response.Resources)
            {
                ClusterLoadAssignment? assignment = null;
                problem = string.IsNullOrEmpty(resource.Version) ? $"{resource.Name}: no version"
                    : resource.Resource_ is null ? $"{resource.Name}: no resource"
                    : Check(resource.Resource_.TypeUrl, resource.Resource_.Value, out assignment);
                if (problem is null && assignment!.ClusterName != resource.Name)
                {
                    problem = $"{resource.Name}: carries cluster {assignment.ClusterName}";
                }

                if (problem is not null)
                {
                    break;
                }

                parsed.Add((resource.Name, assignment!, resource.Version));
            }

            if (problem is not null)
            {
                Nack(problem);
                return new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce, ErrorDetail = new Google.Rpc.Status { Code = 3, Message = problem } };
            }

            foreach (var (name, assignment, version) in parsed)
            {
                if (announced.Remove(name, out var held) && held == version)
                {
                    Interlocked.Increment(ref ResentUnchanged);
                }

                OnAssignment?.Invoke(this, assignment, now);
                Note(name, version, now);
            }

            return new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
        });
    }

    /// <summary>Null when the resource is a ClusterLoadAssignment this sidecar asked for; otherwise why not.</summary>
    private string? Check(string typeUrl, Google.Protobuf.ByteString value, out ClusterLoadAssignment? assignment)
    {
        assignment = null;
        if (typeUrl != TypeUrls.ClusterLoadAssignment)
        {
            return $"unexpected type {typeUrl}";
        }

        try
        {
            assignment = ClusterLoadAssignment.Parser.ParseFrom(value);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException exception)
        {
            return $"does not parse: {exception.Message}";
        }

        return Clusters.Contains(assignment.ClusterName) ? null : $"{assignment.ClusterName}: not asked for";
    }

    private void Nack(string problem)
    {
        if (Interlocked.Increment(ref Nacks) == 1)
        {
            FirstNack = problem;
        }
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
