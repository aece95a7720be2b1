using Microsoft.Extensions.Hosting;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// Drains the xDS streams when the host stops, before any hosted service stops: the host runs
/// every <see cref="IHostedLifecycleService.StoppingAsync"/> first, whatever the order services
/// were registered in, so Kestrel (the web host's service, which stops first among the
/// <c>StopAsync</c> calls) closes connections only once the streams have ended with Unavailable
/// and their trailers have gone out. Waiting in an <c>ApplicationStopping</c> callback instead
/// depended on the order callbacks were registered in, and raced Kestrel when the frontend was
/// built before the host waited for shutdown.
/// </summary>
internal sealed class StreamDrain(StreamFactory streams) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) => streams.DrainAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
