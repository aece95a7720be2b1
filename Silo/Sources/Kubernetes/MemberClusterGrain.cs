using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// Runs one member cluster's <see cref="KubernetesSource"/> for as long as the activation lives.
/// The watch runs off the grain's scheduler (it is long-running I/O); a keep-alive timer holds
/// the activation, and deactivation (the silo stopping) stops the watch.
/// </summary>
public sealed partial class MemberClusterGrain(
    IClusterConfigSink sink,
    IOptions<KubernetesSourceOptions> options,
    TimeProvider time,
    ILocalSiloDetails silo,
    ILogger<MemberClusterGrain> logger) : Grain, IMemberClusterGrain
{
    private KubernetesSource? _source;
    private MemberClusterSpec? _spec;
    private CancellationTokenSource? _stop;
    private Task? _running;
    private IGrainTimer? _keepAlive;

    /// <inheritdoc/>
    public async Task EnsureWatchingAsync(MemberClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_spec == spec && _running is { IsCompleted: false })
        {
            return;
        }

        await StopAsync();
        _spec = spec;
        _stop = new CancellationTokenSource();
        _source = new KubernetesSource(spec, sink, options.Value, time, logger);
        var source = _source;
        var token = _stop.Token;
        _running = Task.Run(() => source.RunAsync(token), CancellationToken.None);
        LogWatching(logger, spec.Id, Host);
        _keepAlive ??= this.RegisterGrainTimer(static _ => Task.CompletedTask, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromMinutes(1),
            Period = TimeSpan.FromMinutes(1),
            KeepAlive = true,
            Interleave = true,
        });
    }

    /// <inheritdoc/>
    public Task<MemberClusterStatus?> GetStatusAsync() => Task.FromResult(_source?.Status is { } status ? status with { Host = Host } : null);

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await StopAsync();
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>The address of the silo running the watch (what membership and placement call it), not just its machine's name.</summary>
    private string Host => silo.SiloAddress.ToString();

    private async Task StopAsync()
    {
        if (_stop is null || _running is null)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
        }

        _stop.Dispose();
        _stop = null;
        _running = null;
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Member cluster {ClusterId} is watched by silo {Silo}")]
    private static partial void LogWatching(ILogger logger, string clusterId, string silo);
}
