using Envoy.Service.Status.V3;
using Grpc.Core;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// <c>envoy.service.status.v3.ClientStatusDiscoveryService</c> (CSDS) on both xDS ports: one
/// <see cref="ClientConfig"/> per proxy connected to this frontend, built as for
/// <c>istio.io/debug/syncz</c> (<see cref="ClientStatuses"/>), filtered by the request's
/// <c>node_matchers</c> (<see cref="NodeMatchers"/>), at most <see cref="ClientStatuses.MaxConfigs"/>.
/// The stream answers each request with one response. On the TLS port the caller must
/// authenticate, as for every call there; the plaintext port answers anyone who reaches it,
/// like the configuration it serves there (no secret is ever in a ClientConfig).
/// </summary>
internal sealed partial class ClientStatusDiscoveryServiceImpl(
    StreamRegistry registry,
    CallerAuthenticator authenticator,
    IHostApplicationLifetime lifetime,
    ILogger<ClientStatusDiscoveryServiceImpl> logger) : ClientStatusDiscoveryService.ClientStatusDiscoveryServiceBase
{
    /// <inheritdoc/>
    public override async Task<ClientStatusResponse> FetchClientStatus(ClientStatusRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        await AuthenticateAsync(context);
        return Answer(request, context);
    }

    /// <inheritdoc/>
    public override async Task StreamClientStatus(IAsyncStreamReader<ClientStatusRequest> requestStream, IServerStreamWriter<ClientStatusResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        await AuthenticateAsync(context);

        // Ends with the process, as xDS streams do, so a shutdown does not wait on an idle CSDS client.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            while (await requestStream.MoveNext(ending.Token))
            {
                await responseStream.WriteAsync(Answer(requestStream.Current, context), ending.Token);
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "control plane shutting down"));
        }
    }

    private ClientStatusResponse Answer(ClientStatusRequest request, ServerCallContext context)
    {
        Func<string, bool>? include;
        try
        {
            include = NodeMatchers.Compile(request.NodeMatchers);
        }
        catch (RpcException refused)
        {
            LogRefused(logger, context.Peer, refused.Status.Detail);
            throw;
        }

        var response = new ClientStatusResponse();
        response.Config.AddRange(new ClientStatuses(registry).Build(include));
        LogAnswered(logger, context.Peer, request.NodeMatchers.Count, response.Config.Count);
        return response;
    }

    private async Task AuthenticateAsync(ServerCallContext context)
    {
        if (!CallerAuthenticator.IsSecure(context))
        {
            return;
        }

        var (caller, problem) = await authenticator.AuthenticateAsync(context, context.CancellationToken);
        if (caller is null)
        {
            LogRefused(logger, context.Peer, problem!);
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"authentication failed: {problem}"));
        }
    }

    [LoggerMessage(EventId = 464, Level = LogLevel.Debug, Message = "CSDS answered {Peer}: {Matchers} node matchers, {Count} client configs")]
    private static partial void LogAnswered(ILogger logger, string peer, int matchers, int count);

    [LoggerMessage(EventId = 465, Level = LogLevel.Warning, Message = "CSDS request from {Peer} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string peer, string reason);
}
