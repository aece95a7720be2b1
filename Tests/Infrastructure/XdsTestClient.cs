using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// One real xDS gRPC stream for protocol tests: requests are sent as the test says, responses
/// are queued so the test can wait for them with a timeout, and the final status is kept.
/// </summary>
public abstract class XdsTestClient<TRequest, TResponse> : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<TRequest, TResponse> _call;
    private readonly Channel<TResponse> _responses = Channel.CreateUnbounded<TResponse>();
    private readonly CancellationTokenSource _cancel = new();
    private Task? _reader;

    protected XdsTestClient(GrpcChannel channel, string nodeId, Func<CallInvoker, CancellationToken, AsyncDuplexStreamingCall<TRequest, TResponse>> open, bool read)
    {
        _channel = channel;
        NodeId = nodeId;
        _call = open(channel.CreateCallInvoker(), _cancel.Token);
        if (read)
        {
            StartReading();
        }
    }

    /// <summary>The node id this client announces.</summary>
    public string NodeId { get; }

    /// <summary>The locality this client announces in its node (none when null).</summary>
    public Envoy.Config.Core.V3.Locality? Locality { get; init; }

    /// <summary>
    /// The node metadata this client announces. By default Istio's proxyless gRPC metadata
    /// (<c>GENERATOR: grpc</c>), so that a test client with an Istio-style node id is served as the
    /// proxyless client it behaves like; an Envoy sidecar test passes its own (or none).
    /// </summary>
    public Google.Protobuf.WellKnownTypes.Struct? Metadata { get; init; } = ProxylessMetadata();

    /// <summary>Istio's node metadata of a proxyless gRPC client.</summary>
    public static Google.Protobuf.WellKnownTypes.Struct ProxylessMetadata()
    {
        var metadata = new Google.Protobuf.WellKnownTypes.Struct();
        metadata.Fields["GENERATOR"] = Google.Protobuf.WellKnownTypes.Value.ForString("grpc");
        return metadata;
    }

    /// <summary>The node this client announces.</summary>
    protected Envoy.Config.Core.V3.Node Node(string? userAgent = null)
    {
        var node = new Envoy.Config.Core.V3.Node { Id = NodeId, Cluster = "test", Locality = Locality, Metadata = Metadata };
        if (userAgent is not null)
        {
            node.UserAgentName = userAgent;
        }

        return node;
    }

    /// <summary>The status the stream ended with, once it ended (null while open).</summary>
    public Status? FinalStatus { get; private set; }

    /// <summary>Starts consuming responses (once).</summary>
    public void StartReading() => _reader ??= ReadAsync();

    /// <summary>Sends <paramref name="request"/> as is.</summary>
    public Task SendAsync(TRequest request) => _call.RequestStream.WriteAsync(request);

    /// <summary>The next response, or a failure after <paramref name="timeout"/> (default 10 s).</summary>
    public async Task<TResponse> ReceiveAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(10);
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {typeof(TResponse).Name} within {wait.TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended with {FinalStatus}");
        }
    }

    /// <summary>True when no response arrives within <paramref name="wait"/>.</summary>
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

    /// <summary>Waits for the stream to end and returns its status.</summary>
    public async Task<Status> WaitForEndAsync(TimeSpan? timeout = null)
    {
        await (_reader ?? Task.CompletedTask).WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        return FinalStatus!.Value;
    }

    /// <summary>Cancels the call from the client side.</summary>
    public void Cancel() => _cancel.Cancel();

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
        catch (Exception exception)
        {
            FinalStatus = new Status(StatusCode.Unknown, exception.Message);
        }
        finally
        {
            _responses.Writer.TryComplete();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        try
        {
            await (_reader ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _call.Dispose();
        _channel.Dispose();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
