using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A C# ADS client for protocol tests: one real gRPC stream to the server, requests sent
/// as the test says, responses queued so the test can wait for them with a timeout.
/// </summary>
public sealed class AdsTestClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Channel<DiscoveryResponse> _responses = Channel.CreateUnbounded<DiscoveryResponse>();
    private Task? _reader;
    private readonly CancellationTokenSource _cancel = new();

    private AdsTestClient(GrpcChannel channel, string nodeId, bool read)
    {
        _channel = channel;
        NodeId = nodeId;
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        _call = client.StreamAggregatedResources(cancellationToken: _cancel.Token);
        if (read)
        {
            StartReading();
        }
    }

    /// <summary>The node id this client announces.</summary>
    public string NodeId { get; }

    /// <summary>The status the stream ended with, once it ended (null while open).</summary>
    public Status? FinalStatus { get; private set; }

    /// <summary>Opens a stream to the server on <paramref name="port"/>.</summary>
    /// <param name="port">The server's xDS port.</param>
    /// <param name="nodeId">The node id to announce.</param>
    /// <param name="receiveWindow">The HTTP/2 stream receive window, to make a client that stops reading block the server sooner.</param>
    /// <param name="read">False to leave responses unread until <see cref="StartReading"/>.</param>
    public static AdsTestClient Connect(int port, string nodeId = "sidecar~127.0.0.1~test.default~default.svc.cluster.local", int? receiveWindow = null, bool read = true) =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = receiveWindow is int window ? new SocketsHttpHandler { InitialHttp2StreamWindowSize = window } : null,
        }), nodeId, read);

    /// <summary>Starts consuming responses (once).</summary>
    public void StartReading() => _reader ??= ReadAsync();

    /// <summary>Sends a request; the node is included unless <paramref name="withNode"/> is false.</summary>
    public Task SendAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "", string? error = null, bool withNode = true)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce };
        if (withNode)
        {
            request.Node = new Node { Id = NodeId, Cluster = "test", UserAgentName = "mesh-tests" };
        }

        request.ResourceNames.AddRange(names ?? []);
        if (error is not null)
        {
            request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        }

        return SendAsync(request);
    }

    /// <summary>Sends <paramref name="request"/> as is.</summary>
    public Task SendAsync(DiscoveryRequest request) => _call.RequestStream.WriteAsync(request);

    /// <summary>ACKs <paramref name="response"/>, keeping the subscription <paramref name="names"/>.</summary>
    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    /// <summary>NACKs <paramref name="response"/>, reporting <paramref name="acceptedVersion"/> as the last good version.</summary>
    public Task NackAsync(DiscoveryResponse response, string acceptedVersion, IEnumerable<string>? names = null, string error = "rejected by test") =>
        SendAsync(response.TypeUrl, names, acceptedVersion, response.Nonce, error);

    /// <summary>The next response, or a failure after <paramref name="timeout"/> (default 10 s).</summary>
    public async Task<DiscoveryResponse> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no DiscoveryResponse within {(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended with {FinalStatus}");
        }
    }

    /// <summary>The next response for <paramref name="typeUrl"/>, skipping (and returning in order) any others.</summary>
    public async Task<DiscoveryResponse> ReceiveTypeAsync(string typeUrl, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var response = await ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (response.TypeUrl == typeUrl)
            {
                return response;
            }
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

    /// <summary>
    /// Sends <paramref name="payload"/> as the bytes of one request message on a new ADS stream
    /// (for malformed-input tests) and returns the status the server ends that stream with.
    /// </summary>
    public static async Task<Status> SendRawAsync(int port, byte[] payload)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var raw = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "envoy.service.discovery.v3.AggregatedDiscoveryService", "StreamAggregatedResources", raw, raw);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(method, null, new CallOptions(cancellationToken: cts.Token));
        try
        {
            await call.RequestStream.WriteAsync(payload);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
            }

            return call.GetStatus();
        }
        catch (RpcException exception)
        {
            return exception.Status;
        }
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
    }

    /// <summary>Unpacks the resources of a response.</summary>
    public static List<T> Unpack<T>(DiscoveryResponse response)
        where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return response.Resources.Select(r => parser.ParseFrom(r.Value)).ToList();
    }
}
