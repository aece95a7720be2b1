using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>The process-wide pieces every xDS stream uses.</summary>
/// <remarks><c>Draining</c> completes when the process starts shutting down; every stream then ends with Unavailable.</remarks>
internal sealed record StreamShared(
    ResourceCache Cache,
    ScopeCaches Caches,
    IMeshStateClient Mesh,
    StreamRegistry Registry,
    XdsFrontendOptions Options,
    TimeProvider Time,
    ILogger Logger,
    SemaphoreSlim PushThrottle,
    Task Draining);
