using Grpc.Core;
using Mesh.Orleans.Xds.Frontend.Debug;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// What debug requests need of a stream: a stream whose first request is an Istio debug type
/// (istioctl's <c>istio.io/debug/syncz</c>, say) is answered on its own, without a scope, a cache,
/// a registry entry or a ProxyGrain, so istioctl never counts as a proxy; and a proxy's stream says,
/// on its own loop, what it sent its proxy, for that proxy's config dump.
/// </summary>
internal abstract partial class XdsStream<TRequest, TResponse>
{
    private TaskCompletionSource<IReadOnlyList<SentResource>>? _sentRequest;

    /// <summary>The streams of this process.</summary>
    protected StreamRegistry Registry => _registry;

    /// <summary>Whether <paramref name="first"/>, a stream's first request, makes it a debug stream.</summary>
    protected virtual bool IsDebugRequest(TRequest first) => false;

    /// <summary>The answer to a request on a debug stream (RpcException InvalidArgument for one that is not a debug type).</summary>
    protected virtual Task<TResponse> AnswerDebugAsync(TRequest request, CancellationToken cancellation) =>
        throw new InvalidOperationException($"{GetType().Name} serves no debug types");

    /// <summary>What the stream sent its proxy and the proxy still holds; runs on the stream's loop. Secrets without their contents.</summary>
    protected virtual IReadOnlyList<SentResource> SnapshotSent() => [];

    /// <summary>
    /// Serves a debug stream: each request answered in turn, until the client closes it or the
    /// process drains. On the TLS port the caller must authenticate, as for any stream there; the
    /// node it announces is istioctl's made-up one and is not checked against the caller.
    /// </summary>
    private async Task RunDebugAsync(TRequest first, CancellationToken cancellation)
    {
        if (_security is not null && CallerAuthenticator.IsSecure(Call))
        {
            var (caller, problem) = await _security.Authenticator.AuthenticateAsync(Call, cancellation);
            if (caller is null)
            {
                LogUnauthenticated(Logger, NodeId, Call.Peer, problem!);
                throw new RpcException(new Status(StatusCode.Unauthenticated, $"authentication failed: {problem}"));
            }
        }

        LogDebugStreamOpened(Logger, StreamId, NodeId, Call.Peer, TypeUrlOf(first) is { Length: > 128 } longType ? longType[..128] : TypeUrlOf(first));
        var request = first;
        try
        {
            while (true)
            {
                ValidateNode(NodeOf(request));
                var response = await AnswerDebugAsync(request, cancellation);
                await _responses.WriteAsync(response, cancellation);
                var read = _requests.MoveNext(cancellation);
                await WhileNotDrainingAsync(read);
                bool more;
                try
                {
                    more = await read;
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellation.IsCancellationRequested)
                {
                    throw ToRpcException(exception);
                }

                if (!more)
                {
                    return;
                }

                request = _requests.Current;
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // istioctl exits without closing its stream.
        }
        catch (IOException) when (cancellation.IsCancellationRequested)
        {
            // Likewise, in the middle of a response.
        }
    }

    /// <summary>
    /// Asks the stream what it sent its proxy (thread-safe). The loop answers between two requests
    /// or pushes, so the answer needs no lock on the stream's state; concurrent askers share one
    /// answer. Cancelled when the stream ends first.
    /// </summary>
    private Task<IReadOnlyList<SentResource>> RequestSentAsync()
    {
        var request = new TaskCompletionSource<IReadOnlyList<SentResource>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = Interlocked.CompareExchange(ref _sentRequest, request, null) ?? request;
        SignalCacheChanged();
        return pending.Task;
    }

    /// <summary>On the stream's loop: answers a pending <see cref="RequestSentAsync"/>.</summary>
    private void AnswerSentRequest() => Interlocked.Exchange(ref _sentRequest, null)?.TrySetResult(SnapshotSent());

    /// <summary>As the stream ends: a pending <see cref="RequestSentAsync"/> learns it holds nothing any more.</summary>
    private void CancelSentRequest() => Interlocked.Exchange(ref _sentRequest, null)?.TrySetCanceled();

    /// <summary>Node metadata <paramref name="key"/> when it is a string, at most 128 characters (it is held for the stream's life); else empty.</summary>
    private static string MetadataText(Envoy.Config.Core.V3.Node node, string key) =>
        node.Metadata?.Fields is { } fields && fields.TryGetValue(key, out var value) && value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue
            ? value.StringValue.Length <= 128 ? value.StringValue : value.StringValue[..128]
            : string.Empty;

    [LoggerMessage(EventId = 460, Level = LogLevel.Information, Message = "Debug stream {StreamId} opened by node {NodeId} from {Peer} ({TypeUrl}); answered without a scope, not counted as a proxy")]
    private static partial void LogDebugStreamOpened(ILogger logger, string streamId, string nodeId, string peer, string typeUrl);
}
