using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// Runs on every silo: every <see cref="KubernetesSourceOptions.KeeperInterval"/> it asks each
/// member cluster's grain to be watching. Orleans places one activation per member cluster, so
/// however many silos ask, one watches; when that silo dies, the next ask activates it elsewhere.
/// </summary>
public sealed partial class MemberClusterKeeper(
    IGrainFactory grains,
    MemberClusters clusters,
    IOptions<KubernetesSourceOptions> options,
    TimeProvider time,
    ILogger<MemberClusterKeeper> logger) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.KeeperInterval, time);
        try
        {
            do
            {
                foreach (var spec in clusters.Kubernetes)
                {
                    try
                    {
                        await grains.GetGrain<IMemberClusterGrain>(spec.Id).EnsureWatchingAsync(spec).WaitAsync(options.Value.KeeperInterval * 4, stoppingToken);
                    }
                    catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                    {
                        LogEnsureFailed(logger, exception, spec.Id);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "Could not make sure member cluster {ClusterId} is watched; trying again")]
    private static partial void LogEnsureFailed(ILogger logger, Exception exception, string clusterId);
}
