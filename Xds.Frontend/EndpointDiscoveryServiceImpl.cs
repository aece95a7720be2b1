using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend.Internal;

namespace Mesh.Orleans.Xds.Frontend;

// A per-type discovery service: a thin binding of one type URL
// to the same stream machinery as ADS. Without ADS the server cannot order types across
// streams, so make-before-break is up to the client, as the xDS protocol notes.

/// <summary><c>envoy.service.endpoint.v3.EndpointDiscoveryService</c>.</summary>
internal sealed class EndpointDiscoveryServiceImpl(StreamFactory streams) : Envoy.Service.Endpoint.V3.EndpointDiscoveryService.EndpointDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamEndpoints(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunSotwAsync(requestStream, responseStream, context, TypeUrls.ClusterLoadAssignment);

    /// <inheritdoc/>
    public override Task DeltaEndpoints(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunDeltaAsync(requestStream, responseStream, context, TypeUrls.ClusterLoadAssignment);

    /// <inheritdoc/>
    public override Task<DiscoveryResponse> FetchEndpoints(DiscoveryRequest request, ServerCallContext context) =>
        Task.FromResult(streams.Fetch(request, TypeUrls.ClusterLoadAssignment));
}
