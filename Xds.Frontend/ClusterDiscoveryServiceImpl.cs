using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend.Internal;

namespace Mesh.Orleans.Xds.Frontend;

// A per-type discovery service: a thin binding of one type URL
// to the same stream machinery as ADS. Without ADS the server cannot order types across
// streams, so make-before-break is up to the client, as the xDS protocol notes.

/// <summary><c>envoy.service.cluster.v3.ClusterDiscoveryService</c>.</summary>
internal sealed class ClusterDiscoveryServiceImpl(StreamFactory streams) : Envoy.Service.Cluster.V3.ClusterDiscoveryService.ClusterDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamClusters(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunSotwAsync(requestStream, responseStream, context, TypeUrls.Cluster);

    /// <inheritdoc/>
    public override Task DeltaClusters(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunDeltaAsync(requestStream, responseStream, context, TypeUrls.Cluster);

    /// <inheritdoc/>
    public override Task<DiscoveryResponse> FetchClusters(DiscoveryRequest request, ServerCallContext context) =>
        Task.FromResult(streams.Fetch(request, TypeUrls.Cluster));
}
