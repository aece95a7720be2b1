using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A C# SotW ADS client for protocol tests.</summary>
public sealed class AdsTestClient : XdsTestClient<DiscoveryRequest, DiscoveryResponse>
{
    private AdsTestClient(GrpcChannel channel, string nodeId, bool read)
        : base(channel, nodeId, (invoker, token) => new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(invoker).StreamAggregatedResources(cancellationToken: token), read)
    {
    }

    private AdsTestClient(GrpcChannel channel, string nodeId, Func<CallInvoker, CancellationToken, AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse>> open)
        : base(channel, nodeId, open, read: true)
    {
    }

    /// <summary>Opens a stream to the server on <paramref name="port"/>.</summary>
    /// <param name="port">The server's xDS port.</param>
    /// <param name="nodeId">The node id to announce.</param>
    /// <param name="receiveWindow">The HTTP/2 stream receive window, to make a client that stops reading block the server sooner.</param>
    /// <param name="read">False to leave responses unread until <see cref="StartReading"/>.</param>
    /// <param name="locality">The node's locality, if it announces one.</param>
    /// <param name="metadata">The node metadata; null for a proxyless gRPC client's.</param>
    public static AdsTestClient Connect(int port, string nodeId = "sidecar~127.0.0.254~test.default~default.svc.cluster.local", int? receiveWindow = null, bool read = true, Locality? locality = null, Google.Protobuf.WellKnownTypes.Struct? metadata = null) =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = receiveWindow is int window ? new SocketsHttpHandler { InitialHttp2StreamWindowSize = window } : null,
        }), nodeId, read)
        {
            Locality = locality,
            Metadata = metadata ?? ProxylessMetadata(),
        };

    /// <summary>Opens a stream over <paramref name="channel"/> (a TLS one, say).</summary>
    public static AdsTestClient Connect(GrpcChannel channel, string nodeId, Google.Protobuf.WellKnownTypes.Struct? metadata = null) =>
        new(channel, nodeId, read: true) { Metadata = metadata ?? ProxylessMetadata() };

    /// <summary>Opens <c>SecretDiscoveryService.StreamSecrets</c> over <paramref name="channel"/>.</summary>
    public static AdsTestClient ConnectSecrets(GrpcChannel channel, string nodeId) =>
        new(channel, nodeId, (invoker, token) => new Envoy.Service.Secret.V3.SecretDiscoveryService.SecretDiscoveryServiceClient(invoker).StreamSecrets(cancellationToken: token)) { Metadata = ProxylessMetadata() };

    /// <summary>Sends a request; the node is included unless <paramref name="withNode"/> is false.</summary>
    public Task SendAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "", string? error = null, bool withNode = true)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce };
        if (withNode)
        {
            request.Node = Node("mesh-tests");
        }

        request.ResourceNames.AddRange(names ?? []);
        if (error is not null)
        {
            request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        }

        return SendAsync(request);
    }

    /// <summary>ACKs <paramref name="response"/>, keeping the subscription <paramref name="names"/>.</summary>
    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    /// <summary>NACKs <paramref name="response"/>, reporting <paramref name="acceptedVersion"/> as the last good version.</summary>
    public Task NackAsync(DiscoveryResponse response, string acceptedVersion, IEnumerable<string>? names = null, string error = "rejected by test") =>
        SendAsync(response.TypeUrl, names, acceptedVersion, response.Nonce, error);

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

    /// <summary>Unpacks the resources of a response.</summary>
    public static List<T> Unpack<T>(DiscoveryResponse response)
        where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return response.Resources.Select(r => parser.ParseFrom(r.Value)).ToList();
    }
}
