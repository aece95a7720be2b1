using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Xds.Frontend.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// <c>envoy.service.discovery.v3.AggregatedDiscoveryService</c>: every type on one stream,
/// so the server controls the order in which a proxy sees changes.
/// </summary>
public sealed class AggregatedDiscoveryServiceImpl(
    ResourceCache cache,
    IMeshStateClient mesh,
    StreamRegistry registry,
    IOptions<XdsFrontendOptions> options,
    TimeProvider time,
    ILogger<AggregatedDiscoveryServiceImpl> logger) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context) =>
        new SotwStream(requestStream, responseStream, context, cache, mesh, registry, options.Value, time, logger).RunAsync();
}
