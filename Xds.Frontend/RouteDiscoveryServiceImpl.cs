using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend.Internal;

namespace Mesh.Orleans.Xds.Frontend;

// A per-type discovery service: a thin binding of one type URL
// to the same stream machinery as ADS. Without ADS the server cannot order types across
// streams, so make-before-break is up to the client, as the xDS protocol notes.

/// <summary><c>envoy.service.route.v3.RouteDiscoveryService</c>.</summary>
internal sealed class RouteDiscoveryServiceImpl(StreamFactory streams) : Envoy.Service.Route.V3.RouteDiscoveryService.RouteDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamRoutes(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunSotwAsync(requestStream, responseStream, context, TypeUrls.RouteConfiguration);

    /// <inheritdoc/>
    public override Task DeltaRoutes(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunDeltaAsync(requestStream, responseStream, context, TypeUrls.RouteConfiguration);

    /// <inheritdoc/>
    public override Task<DiscoveryResponse> FetchRoutes(DiscoveryRequest request, ServerCallContext context) =>
        Task.FromResult(streams.Fetch(request, TypeUrls.RouteConfiguration));
}
