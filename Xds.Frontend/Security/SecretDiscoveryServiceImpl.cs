using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend.Internal;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// <c>envoy.service.secret.v3.SecretDiscoveryService</c>: the stream's own secrets (<c>default</c>,
/// <c>ROOTCA</c>) on the TLS xDS port, for its authenticated caller; the same secrets come over
/// ADS with type <see cref="TypeUrls.Secret"/>. A unary fetch is not served (as istio-agent's SDS).
/// </summary>
internal sealed class SecretDiscoveryServiceImpl(StreamFactory streams) : Envoy.Service.Secret.V3.SecretDiscoveryService.SecretDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override Task StreamSecrets(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunSotwAsync(requestStream, responseStream, context, TypeUrls.Secret);

    /// <inheritdoc/>
    public override Task DeltaSecrets(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.RunDeltaAsync(requestStream, responseStream, context, TypeUrls.Secret);

    /// <inheritdoc/>
    public override Task<DiscoveryResponse> FetchSecrets(DiscoveryRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "secrets are served on streams only (StreamSecrets, DeltaSecrets or ADS)"));
}
