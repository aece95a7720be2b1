using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A C# Delta xDS client for protocol tests, aggregated or on a per-type service.</summary>
public sealed class DeltaTestClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> _call;
    private readonly Channel<DeltaDiscoveryResponse> _responses = Channel.CreateUnbounded<DeltaDiscoveryResponse>();
    private readonly Task _reader;
    private readonly CancellationTokenSource _cancel = new();

    private DeltaTestClient(GrpcChannel channel, string nodeId, Func<CallInvoker, CancellationToken, AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse>> open)
    {
        _channel = channel;
        NodeId = nodeId;
        _call = open(channel.CreateCallInvoker(), _cancel.Token);
        _reader = ReadAsync();
    }

    public string NodeId { get; }

    public Status? FinalStatus { get; private set; }

    /// <summary>Opens <c>DeltaAggregatedResources</c>.</summary>
    public static DeltaTestClient Connect(int port, string nodeId = "sidecar~127.0.0.1~delta.default~default.svc.cluster.local") =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{port}"), nodeId,
            (invoker, token) => new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(invoker).DeltaAggregatedResources(cancellationToken: token));

    /// <summary>Opens <c>ClusterDiscoveryService.DeltaClusters</c>.</summary>
    public static DeltaTestClient ConnectClusters(int port, string nodeId = "sidecar~127.0.0.1~cds.default~default.svc.cluster.local") =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{port}"), nodeId,
            (invoker, token) => new Envoy.Service.Cluster.V3.ClusterDiscoveryService.ClusterDiscoveryServiceClient(invoker).DeltaClusters(cancellationToken: token));

    public Task SendAsync(
        string typeUrl,
        IEnumerable<string>? subscribe = null,
        IEnumerable<string>? unsubscribe = null,
        string nonce = "",
        string? error = null,
        IReadOnlyDictionary<string, string>? initialVersions = null,
        bool withNode = true)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResponseNonce = nonce };
        if (withNode)
        {
            request.Node = new Node { Id = NodeId, Cluster = "test" };
        }

        request.ResourceNamesSubscribe.AddRange(subscribe ?? []);
        request.ResourceNamesUnsubscribe.AddRange(unsubscribe ?? []);
        foreach (var (name, version) in initialVersions ?? new Dictionary<string, string>())
        {
            request.InitialResourceVersions[name] = version;
        }

        if (error is not null)
        {
            request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        }

        return _call.RequestStream.WriteAsync(request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);

    public async Task<DeltaDiscoveryResponse> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no DeltaDiscoveryResponse in time");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended with {FinalStatus}");
        }
    }

    public async Task<bool> NothingWithinAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _responses.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task<Status> WaitForEndAsync()
    {
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        return FinalStatus!.Value;
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync())
            {
                _responses.Writer.TryWrite(response);
            }

            FinalStatus = _call.GetStatus();
        }
        catch (RpcException exception)
        {
            FinalStatus = exception.Status;
        }
        finally
        {
            _responses.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
        }

        _call.Dispose();
        _channel.Dispose();
        _cancel.Dispose();
    }
}
