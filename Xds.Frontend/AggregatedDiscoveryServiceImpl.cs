using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Xds.Frontend.Internal;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// <c>envoy.service.discovery.v3.AggregatedDiscoveryService</c>: every type on one stream,
/// so the server controls the order in which a proxy sees changes. SotW and Delta.
/// </summary>
internal sealed class AggregatedDiscoveryServiceImpl(StreamFactory streams) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunSotwAsync(requestStream, responseStream, context, typeUrl: null);

    /// <inheritdoc/>
    public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunDeltaAsync(requestStream, responseStream, context, typeUrl: null);
}
