using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// The local default source: a watched directory of Kubernetes and Istio YAML standing for
/// one member cluster. Every burst of file events (debounced) re-reads the directory and
/// hands the whole declaration to the cluster's ClusterGrain, which pushes what changed.
/// </summary>
public sealed partial class YamlDirectorySource(
    IGrainFactory grains,
    IOptions<YamlSourceOptions> options,
    TimeProvider time,
    ILogger<YamlDirectorySource> logger) : BackgroundService
{
    private readonly ConfigAssembler _assembler = new();
    private readonly ParsedFileCache _parsed = new();
    private HashSet<string> _reported = new(StringComparer.Ordinal);
    /// <summary>
    /// Loads the directory once before the host finishes starting, so the xDS port opens on
    /// the operator's configuration rather than on an empty mesh; then watches it.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var directory = Path.GetFullPath(settings.Directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The config directory '{directory}' does not exist.");
        }

        await ApplyDirectoryAsync(directory, settings, coalesced: 0, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var directory = Path.GetFullPath(settings.Directory);

        var debouncer = new Debouncer(settings.DebounceQuiet, settings.DebounceMax, time);
        using var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => debouncer.Signal();
        watcher.Created += (_, _) => debouncer.Signal();
        watcher.Deleted += (_, _) => debouncer.Signal();
        watcher.Renamed += (_, _) => debouncer.Signal();
        watcher.Error += (_, e) =>
        {
            LogWatcherError(logger, e.GetException(), directory);
            debouncer.Signal();
        };
        watcher.EnableRaisingEvents = true;
        using var resync = new PeriodicTimer(settings.ResyncInterval, time);
        var resyncLoop = ResyncLoopAsync(resync, debouncer, stoppingToken);

        // Anything that changed between the initial load and the watcher starting is caught here.
        LogWatching(logger, directory, settings.ClusterId);
        debouncer.Signal();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var coalesced = await debouncer.WaitForBurstAsync(stoppingToken);
                await ApplyDirectoryAsync(directory, settings, coalesced, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await resyncLoop;
    }

    private static async Task ResyncLoopAsync(PeriodicTimer timer, Debouncer debouncer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                debouncer.Signal();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ApplyDirectoryAsync(string directory, YamlSourceOptions settings, int coalesced, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var files = _parsed.ReadDirectory(directory, settings.MaxFileBytes);
        var config = _assembler.Assemble(files);
        ReportRejections(config.Rejected);

        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await grains.GetGrain<IClusterGrain>(settings.ClusterId).ApplyAsync(config).WaitAsync(cancellationToken);
                LogApplied(logger, settings.ClusterId, files.Count, coalesced, config.Rejected.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogApplyFailed(logger, exception, settings.ClusterId, delay);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void ReportRejections(IReadOnlyList<RejectedObject> rejected)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rejection in rejected)
        {
            var line = rejection.ToString();
            now.Add(line);
            if (!_reported.Contains(line))
            {
                LogRejected(logger, rejection.Source, rejection.Kind, rejection.Namespace, rejection.Name, rejection.Field, rejection.Reason, rejection.KeptLastGood);
            }
        }

        _reported = now;
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Watching {Directory} as member cluster {ClusterId}")]
    private static partial void LogWatching(ILogger logger, string directory, string clusterId);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Applied cluster {ClusterId}: {Files} files read after {Events} change signals, {Rejected} objects rejected, in {ElapsedMs:0.0} ms")]
    private static partial void LogApplied(ILogger logger, string clusterId, int files, int events, int rejected, double elapsedMs);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "Rejected {Source}: {Kind} {Namespace}/{Name} {Field}: {Reason} (last good version kept: {KeptLastGood})")]
    private static partial void LogRejected(ILogger logger, string source, string kind, string @namespace, string name, string field, string reason, bool keptLastGood);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Could not apply cluster {ClusterId}; retrying in {Delay}")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string clusterId, TimeSpan delay);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "File watcher error on {Directory}; re-reading it")]
    private static partial void LogWatcherError(ILogger logger, Exception exception, string directory);
}
