using Grpc.Core;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>One call's streams, and what every stream of the process shares.</summary>
internal sealed record StreamContext<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> Requests,
    IServerStreamWriter<TResponse> Responses,
    ServerCallContext Call,
    StreamShared Shared,
    string? FixedTypeUrl);
