using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>The process-wide pieces every xDS stream uses.</summary>
/// <remarks>
/// <c>Draining</c> is cancelled when the process starts shutting down; every stream then ends with
/// Unavailable. It is a token, not a task, because every stream waits on it: a stream registers
/// once (O(1) to add and remove), where awaiting one shared task beside each request would add and
/// remove a continuation on it, under its lock and by a linear search, every time any stream waits.
/// </remarks>
internal sealed record StreamShared(
    ResourceCache Cache,
    ScopeCaches Caches,
    IMeshStateClient Mesh,
    StreamRegistry Registry,
    XdsFrontendOptions Options,
    TimeProvider Time,
    ILogger Logger,
    SemaphoreSlim PushThrottle,
    CancellationToken Draining,
    StreamSecurity? Security);

/// <summary>What streams on the TLS xDS port need: caller authentication, the CA and the mesh root, and the workload certificate lifetime.</summary>
internal sealed record StreamSecurity(
    Security.CallerAuthenticator Authenticator,
    Security.IMeshCertificateClient Ca,
    Security.MeshTls Tls,
    TimeSpan WorkloadCertLifetime,
    Security.GatewayCredentials? Credentials = null);
