using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Reports what each open stream was sent and ACKed to its ProxyGrain every
/// <see cref="XdsFrontendOptions.ProxyReportInterval"/>, and only for streams where something
/// changed. An ACK thus never costs a grain call on the push path: at most one call per proxy
/// per interval, off to the side.
/// </summary>
public sealed class ProxyReporter(StreamRegistry registry, IMeshStateClient mesh, IOptions<XdsFrontendOptions> options, TimeProvider time) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProxyReportInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var stream in registry.Streams)
                {
                    var events = stream.Stats.TakeUnreported(stream.StreamId);
                    if (events.Count > 0)
                    {
                        mesh.Report(stream.NodeId, events);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
