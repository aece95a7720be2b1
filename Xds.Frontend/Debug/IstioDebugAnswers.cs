using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// Answers istioctl's ADS debug requests as istiod's StatusGen does: <see cref="IstioDebugTypes.Syncz"/>
/// with one <c>envoy.service.status.v3.ClientConfig</c> per proxy connected to this frontend and
/// <c>control_plane</c> naming the process; <see cref="IstioDebugTypes.ConfigDump"/> with exactly one
/// resource name (<c>&lt;pod&gt;.&lt;ns&gt;</c>) with the proxy's admin dumps (none when it is not connected
/// here, or when the request names not exactly one); any other debug type with an empty response.
/// A request carries whatever nonce (istioctl sends a time) and is never ACKed.
/// </summary>
internal sealed partial class IstioDebugAnswers(StreamRegistry registry, TimeProvider time, ILogger logger, int maxNameLength)
{
    /// <summary>The response to <paramref name="request"/>, carrying <paramref name="nonce"/>.</summary>
    public async Task<DiscoveryResponse> AnswerAsync(string nodeId, DiscoveryRequest request, string nonce, CancellationToken cancellationToken)
    {
        if (!IstioDebugTypes.IsDebug(request.TypeUrl))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"this stream began with an Istio debug request and answers only {IstioDebugTypes.Prefix}* types, not '{Shorten(request.TypeUrl)}'; open another stream for configuration"));
        }

        // istiod's PushVersion: time and a counter.
        var response = new DiscoveryResponse
        {
            TypeUrl = request.TypeUrl,
            VersionInfo = $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}/{nonce}",
            Nonce = nonce,
        };
        switch (request.TypeUrl)
        {
            case IstioDebugTypes.Syncz:
                response.ControlPlane = ControlPlaneIdentity.Create();
                foreach (var config in new ClientStatuses(registry).Build())
                {
                    response.Resources.Add(Any.Pack(config));
                }

                break;
            case IstioDebugTypes.ConfigDump:
                await AddConfigDumpAsync(nodeId, request, response, cancellationToken);
                break;
            default:
                LogUnknownDebugType(logger, nodeId, Shorten(request.TypeUrl));
                break;
        }

        LogAnswered(logger, nodeId, Shorten(request.TypeUrl), request.ResourceNames.Count, response.Resources.Count, nonce);
        return response;
    }

    private async Task AddConfigDumpAsync(string nodeId, DiscoveryRequest request, DiscoveryResponse response, CancellationToken cancellationToken)
    {
        if (request.ResourceNames.Count != 1)
        {
            // As istiod: a malformed request is answered empty, the stream carries on.
            LogConfigDumpNotFound(logger, nodeId, $"{request.ResourceNames.Count} resource names, not one");
            return;
        }

        var dumps = new ConfigDumps(registry, maxNameLength, time);
        var proxyId = request.ResourceNames[0];
        if (dumps.FindNode(proxyId) is not { } found)
        {
            LogConfigDumpNotFound(logger, nodeId, $"no proxy '{Shorten(proxyId)}' connected to this frontend");
            return;
        }

        try
        {
            if (await dumps.DumpAsync(found, includeEndpoints: false, cancellationToken) is { } dump)
            {
                response.Resources.Add(dump.Configs);
            }
        }
        catch (TimeoutException timeout)
        {
            LogConfigDumpNotFound(logger, nodeId, timeout.Message);
        }
    }

    private static string Shorten(string text) => text.Length <= 128 ? text : text[..128] + "…";

    [LoggerMessage(EventId = 461, Level = LogLevel.Debug, Message = "Debug request answered node={NodeId} type={TypeUrl} names={Names} resources={Resources} nonce={Nonce}")]
    private static partial void LogAnswered(ILogger logger, string nodeId, string typeUrl, int names, int resources, string nonce);

    [LoggerMessage(EventId = 462, Level = LogLevel.Information, Message = "Unknown debug type requested node={NodeId} type={TypeUrl}; answering with an empty response, as istiod does")]
    private static partial void LogUnknownDebugType(ILogger logger, string nodeId, string typeUrl);

    [LoggerMessage(EventId = 463, Level = LogLevel.Information, Message = "Debug config_dump for node={NodeId} answered empty: {Reason}")]
    private static partial void LogConfigDumpNotFound(ILogger logger, string nodeId, string reason);
}
