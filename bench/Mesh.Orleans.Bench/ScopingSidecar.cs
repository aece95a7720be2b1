using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// One simulated Envoy sidecar as Envoy asks for its clusters over ADS: a wildcard CDS
/// subscription, then EDS for every cluster of type EDS that CDS brought (re-sent whenever the
/// cluster set changes, before the CDS ACK, as Envoy's cluster warming does), ACKing every
/// response; SotW or Delta. Node metadata <c>NAMESPACE</c> places it. It notes the bytes it
/// received, when it first held an assignment for every cluster, and when each assignment's
/// version changed.
/// </summary>
/// <remarks>
/// It reads only a resource's name (field 1 of Cluster and of ClusterLoadAssignment) and a
/// Cluster's discovery type (field 2), not whole messages, so that thousands of them fit beside
/// the control plane on two cores. Names and versions are interned in a table the fleet shares.
/// </remarks>
internal sealed class ScopingSidecar : IAsyncDisposable
{
    /// <summary>Cluster.DiscoveryType.EDS.</summary>
    private const int EdsDiscoveryType = 3;

    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly ConcurrentDictionary<string, string> _names;
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource _converged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();

    // What CDS brought (EDS clusters only), what EDS was asked for, and the assignments held, by name with their version.
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _edsRequested = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _assignments = new(StringComparer.Ordinal);
    private bool _cdsReceived;
    private string _edsVersionInfo = string.Empty;
    private string _edsNonce = string.Empty;
    private Task? _reader;
    private long _bytes;
    private long _responses;
    private int _retries;

    public ScopingSidecar(GrpcChannel channel, string nodeId, string proxyNamespace, bool delta, bool ownsChannel, ConcurrentDictionary<string, string> names)
    {
        _channel = channel;
        _ownsChannel = ownsChannel;
        _names = names;
        NodeId = nodeId;
        Namespace = proxyNamespace;
        Delta = delta;
    }

    public string NodeId { get; }

    public string Namespace { get; }

    public bool Delta { get; }

    /// <summary>Response bytes received (protobuf message sizes), all types.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Connect attempts that failed before the first response and were retried.</summary>
    public int Retries => _retries;

    /// <summary>Completes when the sidecar first holds an assignment for every EDS cluster CDS sent it.</summary>
    public Task Converged => _converged.Task;

    /// <summary><see cref="Bytes"/> when <see cref="Converged"/> completed.</summary>
    public long BytesAtConvergence { get; private set; }

    /// <summary>EDS clusters held when <see cref="Converged"/> completed.</summary>
    public int ClustersAtConvergence { get; private set; }

    /// <summary>Stopwatch timestamp when <see cref="Converged"/> completed.</summary>
    public long ConvergedAt { get; private set; }

    /// <summary>
    /// Called after every response with its type URL, the names it changed (for CDS the clusters
    /// it added, for EDS the assignments whose version changed) and its Stopwatch timestamp.
    /// </summary>
    public Action<ScopingSidecar, string, IReadOnlyList<string>, long>? OnUpdate { get; set; }

    public int ClusterCount
    {
        get
        {
            lock (_gate)
            {
                return _clusters.Count;
            }
        }
    }

    public string? VersionOf(string cluster)
    {
        lock (_gate)
        {
            return _assignments.GetValueOrDefault(cluster);
        }
    }

    /// <summary>True when CDS has sent every one of <paramref name="clusters"/>.</summary>
    public bool HasClusters(IEnumerable<string> clusters)
    {
        lock (_gate)
        {
            return clusters.All(_clusters.Contains);
        }
    }

    /// <summary>True when an assignment of every one of <paramref name="clusters"/> is held.</summary>
    public bool HoldsAssignments(IEnumerable<string> clusters)
    {
        lock (_gate)
        {
            return clusters.All(_assignments.ContainsKey);
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
            if (failure is null || Responses > 0 || _cancel.IsCancellationRequested || attempt >= 30)
            {
                if (failure is not null)
                {
                    _converged.TrySetException(failure);
                }

                return;
            }

            Interlocked.Increment(ref _retries);
            await Task.Delay(TimeSpan.FromMilliseconds(50 + random.Next(1000)), CancellationToken.None);
        }
    }

    private Node Node()
    {
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(Namespace);
        return new Node { Id = NodeId, Metadata = metadata };
    }

    private async Task<Exception?> RunSotwAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        using var call = client.StreamAggregatedResources(cancellationToken: _cancel.Token);
        try
        {
            // A wildcard CDS subscription: no resource names.
            await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = Node() });
            await foreach (var response in call.ResponseStream.ReadAllAsync(_cancel.Token))
            {
                var now = Stopwatch.GetTimestamp();
                Count(response.CalculateSize());
                List<string> changed;
                if (response.TypeUrl == TypeUrls.Cluster)
                {
                    // SotW CDS is the whole set: what is not in it is gone.
                    var eds = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var any in response.Resources)
                    {
                        var (name, type) = ReadCluster(any.Value.Span);
                        if (type == EdsDiscoveryType)
                        {
                            eds.Add(name);
                        }
                    }

                    DiscoveryRequest? edsRequest = null;
                    lock (_gate)
                    {
                        changed = eds.Where(c => !_clusters.Contains(c)).ToList();
                        _clusters.Clear();
                        _clusters.UnionWith(eds);
                        _cdsReceived = true;
                        if (!_edsRequested.SetEquals(eds))
                        {
                            _edsRequested.Clear();
                            _edsRequested.UnionWith(eds);
                            foreach (var gone in _assignments.Keys.Where(k => !eds.Contains(k)).ToList())
                            {
                                _assignments.Remove(gone);
                            }

                            edsRequest = new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, VersionInfo = _edsVersionInfo, ResponseNonce = _edsNonce };
                            edsRequest.ResourceNames.AddRange(_edsRequested);
                        }
                    }

                    if (edsRequest is not null)
                    {
                        await call.RequestStream.WriteAsync(edsRequest);
                    }

                    await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce });
                }
                else
                {
                    changed = [];
                    DiscoveryRequest ack;
                    lock (_gate)
                    {
                        if (response.TypeUrl == TypeUrls.ClusterLoadAssignment)
                        {
                            foreach (var any in response.Resources)
                            {
                                var name = ReadName(any.Value.Span);
                                NoteAssignment(name, Intern(ResourceVersion.Of(any.Value.Span)), changed);
                            }

                            _edsVersionInfo = response.VersionInfo;
                            _edsNonce = response.Nonce;
                        }

                        ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
                        if (response.TypeUrl == TypeUrls.ClusterLoadAssignment)
                        {
                            ack.ResourceNames.AddRange(_edsRequested);
                        }
                    }

                    await call.RequestStream.WriteAsync(ack);
                }

                Updated(response.TypeUrl, changed, now);
            }
        }
        catch (Exception exception) when (exception is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            return exception;
        }

        return null;
    }

    private async Task<Exception?> RunDeltaAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client)
    {
        using var call = client.DeltaAggregatedResources(cancellationToken: _cancel.Token);
        try
        {
            var subscribe = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = Node() };
            subscribe.ResourceNamesSubscribe.Add("*");
            await call.RequestStream.WriteAsync(subscribe);
            await foreach (var response in call.ResponseStream.ReadAllAsync(_cancel.Token))
            {
                var now = Stopwatch.GetTimestamp();
                Count(response.CalculateSize());
                var changed = new List<string>();
                DeltaDiscoveryRequest? edsRequest = null;
                lock (_gate)
                {
                    if (response.TypeUrl == TypeUrls.Cluster)
                    {
                        foreach (var resource in response.Resources)
                        {
                            var name = Intern(resource.Name);
                            var eds = resource.Resource_ is { } any && ReadCluster(any.Value.Span).Type == EdsDiscoveryType;
                            if (eds && _clusters.Add(name))
                            {
                                changed.Add(name);
                            }
                            else if (!eds)
                            {
                                _clusters.Remove(name);
                            }
                        }

                        foreach (var removed in response.RemovedResources)
                        {
                            _clusters.Remove(removed);
                        }

                        _cdsReceived = true;
                        var added = _clusters.Where(c => !_edsRequested.Contains(c)).ToList();
                        var dropped = _edsRequested.Where(c => !_clusters.Contains(c)).ToList();
                        if (added.Count > 0 || dropped.Count > 0)
                        {
                            edsRequest = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment };
                            edsRequest.ResourceNamesSubscribe.AddRange(added);
                            edsRequest.ResourceNamesUnsubscribe.AddRange(dropped);
                            _edsRequested.UnionWith(added);
                            _edsRequested.ExceptWith(dropped);
                            foreach (var gone in dropped)
                            {
                                _assignments.Remove(gone);
                            }
                        }
                    }
                    else if (response.TypeUrl == TypeUrls.ClusterLoadAssignment)
                    {
                        foreach (var resource in response.Resources)
                        {
                            NoteAssignment(Intern(resource.Name), Intern(resource.Version), changed);
                        }

                        foreach (var removed in response.RemovedResources)
                        {
                            _assignments.Remove(removed);
                        }
                    }
                }

                if (edsRequest is not null)
                {
                    await call.RequestStream.WriteAsync(edsRequest);
                }

                await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce });
                Updated(response.TypeUrl, changed, now);
            }
        }
        catch (Exception exception) when (exception is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            return exception;
        }

        return null;
    }

    private void Count(int bytes)
    {
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>Holds an assignment's version (under the gate), noting its name when the version is new.</summary>
    private void NoteAssignment(string name, string version, List<string> changed)
    {
        if (!_assignments.TryGetValue(name, out var old) || old != version)
        {
            _assignments[name] = version;
            changed.Add(name);
        }
    }

    private void Updated(string typeUrl, List<string> changed, long now)
    {
        if (!_converged.Task.IsCompleted)
        {
            lock (_gate)
            {
                if (_cdsReceived && _clusters.All(_assignments.ContainsKey))
                {
                    BytesAtConvergence = Bytes;
                    ClustersAtConvergence = _clusters.Count;
                    ConvergedAt = now;
                    _converged.TrySetResult();
                }
            }
        }

        OnUpdate?.Invoke(this, typeUrl, changed, now);
    }

    private string Intern(string text) => _names.GetOrAdd(text, text);

    private string ReadName(ReadOnlySpan<byte> message) => ReadCluster(message).Name;

    /// <summary>
    /// Field 1 (the name: Cluster.name, ClusterLoadAssignment.cluster_name) and field 2 (Cluster's
    /// discovery type; 0 when absent) of a serialised message, reading no further than field 2.
    /// </summary>
    private (string Name, int Type) ReadCluster(ReadOnlySpan<byte> message)
    {
        var name = string.Empty;
        var type = 0;
        var at = 0;
        while (at < message.Length)
        {
            var tag = ReadVarint(message, ref at);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            if (field > 2)
            {
                break;
            }

            switch (wire)
            {
                case 0:
                    var value = ReadVarint(message, ref at);
                    if (field == 2)
                    {
                        type = (int)value;
                    }

                    break;
                case 1:
                    at += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref at);
                    if (field == 1)
                    {
                        name = Intern(Encoding.UTF8.GetString(message.Slice(at, length)));
                    }

                    at += length;
                    break;
                case 5:
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} of field {field} in a resource sent to {NodeId}");
            }
        }

        return (name, type);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a varint longer than 10 bytes");
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

        _converged.TrySetCanceled();
        _cancel.Dispose();
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }
}
