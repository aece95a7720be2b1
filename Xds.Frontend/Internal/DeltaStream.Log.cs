using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

internal sealed partial class DeltaStream
{
    [LoggerMessage(EventId = 410, Level = LogLevel.Debug, Message = "Delta sent node={NodeId} type={TypeUrl} system_version={Version} nonce={Nonce} resources={Count} removed={Removed}")]
    private static partial void LogSent(ILogger logger, string nodeId, string typeUrl, string version, string nonce, int count, int removed);

    [LoggerMessage(EventId = 411, Level = LogLevel.Debug, Message = "Delta ACK node={NodeId} type={TypeUrl} system_version={Version} nonce={Nonce}")]
    private static partial void LogAck(ILogger logger, string nodeId, string typeUrl, string version, string nonce);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Delta NACK node={NodeId} type={TypeUrl} system_version={Version} nonce={Nonce} code={Code}: {Error}")]
    private static partial void LogNack(ILogger logger, string nodeId, string typeUrl, string version, string nonce, int code, string error);

    [LoggerMessage(EventId = 413, Level = LogLevel.Debug, Message = "Delta stale nonce node={NodeId} type={TypeUrl} nonce={Nonce}: not an ACK or NACK of a recent response")]
    private static partial void LogStaleNonce(ILogger logger, string nodeId, string typeUrl, string nonce);

    [LoggerMessage(EventId = 414, Level = LogLevel.Information, Message = "Delta unknown type requested node={NodeId} type={TypeUrl}; answering with an empty response")]
    private static partial void LogUnknownType(ILogger logger, string nodeId, string typeUrl);
}
