using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A C# Delta xDS client for protocol tests, aggregated or on a per-type service.</summary>
public sealed class DeltaTestClient : XdsTestClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse>
{
    private DeltaTestClient(GrpcChannel channel, string nodeId, Func<CallInvoker, CancellationToken, AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse>> open)
        : base(channel, nodeId, open, read: true)
    {
    }

    /// <summary>Opens <c>DeltaAggregatedResources</c>.</summary>
    public static DeltaTestClient Connect(int port, string nodeId = "sidecar~127.0.0.254~delta.default~default.svc.cluster.local", Locality? locality = null, Google.Protobuf.WellKnownTypes.Struct? metadata = null) =>
        new(GrpcChannel.ForAddress($"http://127.0.0.1:{port}"), nodeId,
            (invoker, token) => new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(invoker).DeltaAggregatedResources(cancellationToken: token))
        {
            Locality = locality,
            Metadata = metadata ?? ProxylessMetadata(),
        };

    /// <summary>Opens <c>DeltaAggregatedResources</c> over <paramref name="channel"/> (a TLS one, say).</summary>
    public static DeltaTestClient Connect(GrpcChannel channel, string nodeId) =>
        new(channel, nodeId, (invoker, token) => new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(invoker).DeltaAggregatedResources(cancellationToken: token)) { Metadata = ProxylessMetadata() };

    /// <summary>Opens <c>ClusterDiscoveryService.DeltaClusters</c>.</summary>
    public static DeltaTestClient ConnectClusters(int port, string nodeId = "sidecar~127.0.0.254~cds.default~default.svc.cluster.local") =>
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
            request.Node = Node();
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

        return SendAsync(request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);
}
