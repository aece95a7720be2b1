using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

internal sealed partial class SotwStream
{
    [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "Sent node={NodeId} type={TypeUrl} version={Version} nonce={Nonce} resources={Count}")]
    private static partial void LogSent(ILogger logger, string nodeId, string typeUrl, string version, string nonce, int count);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "ACK node={NodeId} type={TypeUrl} version={Version} nonce={Nonce}")]
    private static partial void LogAck(ILogger logger, string nodeId, string typeUrl, string version, string nonce);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "NACK node={NodeId} type={TypeUrl} version={Version} nonce={Nonce} code={Code}: {Error}")]
    private static partial void LogNack(ILogger logger, string nodeId, string typeUrl, string? version, string nonce, int code, string error);

    [LoggerMessage(EventId = 405, Level = LogLevel.Debug, Message = "Stale nonce ignored node={NodeId} type={TypeUrl} nonce={Nonce} (current {Current})")]
    private static partial void LogStaleNonce(ILogger logger, string nodeId, string typeUrl, string nonce, string? current);

    [LoggerMessage(EventId = 406, Level = LogLevel.Information, Message = "Unknown type requested node={NodeId} type={TypeUrl}; answering with an empty response")]
    private static partial void LogUnknownType(ILogger logger, string nodeId, string typeUrl);
}
