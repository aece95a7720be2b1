using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>The process-wide pieces every xDS stream uses.</summary>
internal sealed record StreamShared(
    ResourceCache Cache,
    IMeshStateClient Mesh,
    StreamRegistry Registry,
    XdsFrontendOptions Options,
    TimeProvider Time,
    ILogger Logger,
    SemaphoreSlim PushThrottle);
