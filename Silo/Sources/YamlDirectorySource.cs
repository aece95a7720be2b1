using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Files;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// The local default source: a watched directory of Kubernetes and Istio YAML standing for
/// one member cluster. Every burst of file events (debounced) re-reads the directory (parsing
/// only files that changed) and hands the cluster's ClusterGrain the objects that changed.
/// </summary>
/// <remarks>
/// Nothing in the directory can stop it: a file that cannot be parsed is rejected with a
/// reason and keeps its last good objects; a directory that cannot be listed is an outage,
/// not a deletion (the last good configuration keeps serving and the directory is polled
/// until it returns, then watched anew); and an unexpected failure of the loop itself is
/// logged, shown as degraded, and retried with back-off.
/// </remarks>
/// <remarks>
/// Silos sharing one deployment (<c>--redis</c>) each run it, but only the one holding the
/// directory's <see cref="SourceLease"/> reads and watches it; the others stand by
/// (<see cref="SourceState.Standby"/>) and the first to take the lease after the holder dies
/// reads the directory whole and watches it from then on.
/// </remarks>
public sealed partial class YamlDirectorySource(
    IClusterConfigSink sink,
    IOptions<YamlSourceOptions> options,
    TimeProvider time,
    ILogger<YamlDirectorySource> logger,
    SourceLease? lease = null) : BackgroundService
{
    private readonly SourceLease _lease = lease ?? new SourceLease.Alone();
    private bool _held;
    private readonly ConfigAssembler _assembler = new();
    private readonly ChangeFeed _feed = new(options.Value.ClusterId, sink);
    private readonly ParsedFileCache _parsed = new();
    private readonly Debouncer _debouncer = new(options.Value.DebounceQuiet, options.Value.DebounceMax, time);
    private readonly string _directory = Path.GetFullPath(options.Value.Directory);
    private readonly ReportedOnce _reportedRejections = new();
    private readonly ReportedOnce _reportedListing = new();
    private FileSystemWatcher? _watcher;
    private FileSystemWatcher? _parentWatcher;
    private bool _parentWatchTried;
    private volatile bool _rewatch;

    // The YAML files file events named since the last pass; null when the next pass must walk
    // the whole directory (the first one, a resync, a folder or link event, a watcher error).
    private readonly object _eventsGate = new();
    private HashSet<string>? _eventPaths;
    private volatile SourceStatus _status = new(Path.GetFullPath(options.Value.Directory), SourceState.Starting, time.GetUtcNow(), null, null, 0, null);

    /// <summary>What the source last saw.</summary>
    public SourceStatus Status => _status;

    /// <summary>
    /// Loads the directory once before the host finishes starting, so the xDS port opens on
    /// the operator's configuration rather than on an empty mesh; then watches it.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_directory))
        {
            throw new DirectoryNotFoundException($"The config directory '{_directory}' does not exist.");
        }

        _held = await TryHoldAsync(cancellationToken);
        if (_held)
        {
            LogWatching(logger, _directory, options.Value.ClusterId);
            await PassAsync(coalesced: 0, cancellationToken);
        }
        else
        {
            SetStatus(SourceState.Standby, null);
            LogStandby(logger, _directory, options.Value.ClusterId);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                while (!_held)
                {
                    await Task.Delay(settings.LeaseRenewInterval, time, stoppingToken);
                    _held = await TryHoldAsync(stoppingToken);
                    if (_held)
                    {
                        LogTookOver(logger, _directory, options.Value.ClusterId);
                    }
                }

                // Watch while the lease is held; the renewals end the watch when it is lost.
                using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var renewals = _lease.Shared ? RenewAsync(lost) : Task.CompletedTask;
                await WatchAsync(lost.Token);
                await lost.CancelAsync();
                await renewals;
                if (!stoppingToken.IsCancellationRequested)
                {
                    _held = false;
                    SetStatus(SourceState.Standby, null);
                    LogLeaseLost(logger, _directory, options.Value.ClusterId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_held && _lease.Shared)
            {
                try
                {
                    // Handed on at once rather than when it runs out.
                    await _lease.ReleaseAsync(options.Value.ClusterId, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    LogLeaseNotReleased(logger, exception, options.Value.ClusterId);
                }
            }
        }
    }

    /// <summary>Takes the lease (or renews it); a lease that cannot be reached counts as not held.</summary>
    private async Task<bool> TryHoldAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _lease.TryHoldAsync(options.Value.ClusterId, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogLeaseUnreachable(logger, exception, options.Value.ClusterId);
            return false;
        }
    }

    /// <summary>
    /// Renews the lease until <paramref name="lost"/> is cancelled, and cancels it when the lease
    /// is refused, or could not be renewed for longer than it lasts (another silo may hold it).
    /// </summary>
    private async Task RenewAsync(CancellationTokenSource lost)
    {
        var settings = options.Value;
        var renewed = time.GetTimestamp();
        try
        {
            while (!lost.IsCancellationRequested)
            {
                await Task.Delay(settings.LeaseRenewInterval, time, lost.Token);
                try
                {
                    if (!await _lease.TryHoldAsync(settings.ClusterId, lost.Token))
                    {
                        await lost.CancelAsync();
                        return;
                    }

                    renewed = time.GetTimestamp();
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !lost.IsCancellationRequested)
                {
                    LogLeaseUnreachable(logger, exception, settings.ClusterId);
                    if (time.GetElapsedTime(renewed) > settings.LeaseDuration)
                    {
                        await lost.CancelAsync();
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Watches the directory and applies what changes until <paramref name="stoppingToken"/> fires.</summary>
    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var resync = TickAsync(settings.ResyncInterval, () => true, stoppingToken);
        var poll = TickAsync(settings.UnavailablePollInterval, () => _status.State is SourceState.Unavailable or SourceState.Degraded || _rewatch, stoppingToken);
        var delay = TimeSpan.FromMilliseconds(100);

        // Anything that changed between the initial load and the watcher starting is caught here
        // (after taking over from another silo: the whole directory).
        WalkNext();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var coalesced = await _debouncer.WaitForBurstAsync(stoppingToken);
                    await PassAsync(coalesced, stoppingToken);
                    delay = TimeSpan.FromMilliseconds(100);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // Never let the loop die: the host would stop. Keep the last good state and retry.
                    SetStatus(SourceState.Degraded, $"{exception.GetType().Name}: {exception.Message}");
                    LogSourceFailed(logger, exception, _directory, delay);
                    await Task.Delay(delay, time, stoppingToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxRetryDelay.Ticks));
                    WalkNext();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            StopWatching();
            _parentWatcher?.Dispose();
            await Task.WhenAll(resync, poll);
        }
    }

    /// <summary>Signals the debouncer every <paramref name="period"/> while <paramref name="when"/> holds.</summary>
    private async Task TickAsync(TimeSpan period, Func<bool> when, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (when())
                {
                    WalkNext();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One read of the directory, applied to the mesh unless the directory cannot be listed.</summary>
    private async Task PassAsync(int coalesced, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        EnsureParentWatched();
        HashSet<string>? named;
        lock (_eventsGate)
        {
            named = _eventPaths;
            _eventPaths = [];
        }

        // Only the files that events named, when they can stand for a walk: an edit in a
        // directory of 100,000 files then costs one file, not 100,000 stat calls.
        if (named is not null && _watcher is not null && !_rewatch && _status.State == SourceState.Watching
            && _parsed.ReadFiles(_directory, named, settings) is { } updates)
        {
            foreach (var (path, file) in updates)
            {
                if (file is null)
                {
                    _assembler.Remove(path);
                }
                else
                {
                    _assembler.Set(file);
                }
            }

            await ApplyReadAsync(settings, updates.Count, coalesced, started, cancellationToken);
            return;
        }

        var (listing, files) = _parsed.ReadDirectory(_directory, settings);
        if (!listing.Available)
        {
            // An outage, not a deletion: apply nothing, keep serving, look again soon. The
            // watcher of a vanished folder watches nothing; a new one is made when it returns.
            StopWatching();
            if (_status.State != SourceState.Unavailable)
            {
                LogUnavailable(logger, _directory, listing.Error!);
            }

            SetStatus(SourceState.Unavailable, listing.Error, listing);
            return;
        }

        if (_watcher is null || _rewatch)
        {
            Watch();
        }

        ReportListing(listing);
        _assembler.Sync(files);
        _status = _status with { Listing = listing };
        await ApplyReadAsync(settings, files.Count, coalesced, started, cancellationToken);
    }

    /// <summary>Hands over what the read changed, and records that the directory is watched and read.</summary>
    private async Task ApplyReadAsync(YamlSourceOptions settings, int filesRead, int coalesced, long started, CancellationToken cancellationToken)
    {
        var rejected = _assembler.Rejected;
        ReportRejections(rejected);
        var changed = await ApplyAsync(cancellationToken);
        if (_status.State is SourceState.Unavailable or SourceState.Degraded)
        {
            LogRecovered(logger, _directory, _status.State.ToString());
        }

        SourceMetrics.Up(options.Value.ClusterId, true);
        _status = new SourceStatus(_directory, SourceState.Watching,
            _status.State == SourceState.Watching ? _status.Since : time.GetUtcNow(), null, time.GetUtcNow(), _parsed.Count, _status.Listing, _assembler.Report);
        LogApplied(logger, settings.ClusterId, filesRead, coalesced, changed, rejected.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Makes the next pass walk the whole directory.</summary>
    private void WalkNext()
    {
        lock (_eventsGate)
        {
            _eventPaths = null;
        }

        _debouncer.Signal();
    }

    /// <summary>
    /// Notes what a file event names: a YAML file is read again alone; a hidden name (an
    /// editor's or a writer's temporary file, which the walk skips too) is ignored; anything
    /// else (a folder, Kubernetes' <c>..data</c> swap, a path outside) makes the next pass walk.
    /// </summary>
    private void Named(string? fullPath)
    {
        if (fullPath is null)
        {
            return;
        }

        var relative = Path.GetRelativePath(_directory, fullPath);
        var segments = relative.Split(Path.DirectorySeparatorChar);
        lock (_eventsGate)
        {
            if (Path.IsPathRooted(relative) || relative == "." || segments.Any(s => s.StartsWith("..", StringComparison.Ordinal)))
            {
                _eventPaths = null;
            }
            else if (segments.Any(s => s.StartsWith('.')))
            {
                // Hidden: not read by the walk either.
            }
            else if (!Files.DirectoryWalker.IsYaml(segments[^1]))
            {
                _eventPaths = null;
            }
            else
            {
                _eventPaths?.Add(relative);
            }
        }

        _debouncer.Signal();
    }

    /// <summary>Hands the mesh what changed since the last read (everything the first time); returns how many objects.</summary>
    private async Task<int> ApplyAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var sent = await _feed.SendAsync(_assembler.TakeChanges, cancellationToken);
                return sent?.Count ?? 0;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The mesh keeps its last applied state meanwhile; the next attempt sends everything.
                SetStatus(SourceState.Degraded, $"could not apply to member cluster {settings.ClusterId}: {exception.GetType().Name}: {exception.Message}");
                LogApplyFailed(logger, exception, settings.ClusterId, delay);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void SetStatus(SourceState state, string? error, DirectoryListing? listing = null)
    {
        if (state is SourceState.Watching or SourceState.Unavailable or SourceState.Degraded)
        {
            SourceMetrics.Up(options.Value.ClusterId, state == SourceState.Watching);
        }

        _status = _status with
        {
            State = state,
            Since = _status.State == state ? _status.Since : time.GetUtcNow(),
            Error = error,
            Listing = listing ?? _status.Listing,
        };
    }

    /// <summary>Watches the directory (recursively) for changes, replacing a watcher of a folder that was swapped.</summary>
    private void Watch()
    {
        StopWatching();
        _rewatch = false;
        var watcher = new FileSystemWatcher(_directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, e) => Named(e.FullPath);
        watcher.Created += (_, e) => Named(e.FullPath);
        watcher.Deleted += (_, e) => Named(e.FullPath);
        watcher.Renamed += (_, e) =>
        {
            Named(e.OldFullPath);
            Named(e.FullPath);
        };
        watcher.Error += (_, e) =>
        {
            LogWatcherError(logger, e.GetException(), _directory);
            _rewatch = true;
            WalkNext();
        };
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch
        {
            watcher.Dispose();
            throw;
        }

        _watcher = watcher;
    }

    private void StopWatching()
    {
        _watcher?.Dispose();
        _watcher = null;
    }

    /// <summary>
    /// Watches the directory's parent for the directory itself being removed, created or
    /// renamed (deleted and made anew, a volume swapped): a watcher of the old folder would
    /// see nothing of the new one. Where the parent cannot be watched, polling and the
    /// periodic resync still find the change.
    /// </summary>
    private void EnsureParentWatched()
    {
        if (_parentWatchTried)
        {
            return;
        }

        var parent = Path.GetDirectoryName(_directory);
        if (parent is null || !Directory.Exists(parent))
        {
            return;
        }

        _parentWatchTried = true;
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(parent, Path.GetFileName(_directory))
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.DirectoryName | NotifyFilters.FileName,
            };
            watcher.Created += (_, _) => Swapped();
            watcher.Deleted += (_, _) => Swapped();
            watcher.Renamed += (_, _) => Swapped();
            watcher.EnableRaisingEvents = true;
            _parentWatcher = watcher;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            watcher?.Dispose();
            LogParentNotWatched(logger, exception, parent);
        }
    }

    private void Swapped()
    {
        _rewatch = true;
        WalkNext();
    }

    private void ReportListing(DirectoryListing listing)
    {
        var problems = listing.SkippedLinks.Select(l => (Kind: 0, Path: l.Link, l.Reason))
            .Concat(listing.Unlisted.Select(u => (Kind: 1, u.Path, u.Reason)))
            .Concat(listing.Truncated is { } truncated ? [(Kind: 2, Path: _directory, Reason: truncated)] : []);
        foreach (var (kind, path, reason) in _reportedListing.New(problems, p => $"{p.Kind} {p.Path}: {p.Reason}"))
        {
            switch (kind)
            {
                case 0:
                    LogLinkSkipped(logger, path, reason);
                    break;
                case 1:
                    LogUnlisted(logger, path, reason);
                    break;
                default:
                    LogTruncated(logger, path, reason);
                    break;
            }
        }
    }

    private void ReportRejections(IReadOnlyList<RejectedObject> rejected)
    {
        foreach (var rejection in _reportedRejections.New(rejected, r => r.ToString()))
        {
            LogRejected(logger, rejection.Source, rejection.Kind, rejection.Namespace, rejection.Name, rejection.Field, rejection.Reason, rejection.KeptLastGood);
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        StopWatching();
        _parentWatcher?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Watching {Directory} as member cluster {ClusterId}")]
    private static partial void LogWatching(ILogger logger, string directory, string clusterId);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Applied cluster {ClusterId}: {Files} files read after {Events} change signals, {Changed} objects changed, {Rejected} objects rejected, in {ElapsedMs:0.0} ms")]
    private static partial void LogApplied(ILogger logger, string clusterId, int files, int events, int changed, int rejected, double elapsedMs);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "Rejected {Source}: {Kind} {Namespace}/{Name} {Field}: {Reason} (last good version kept: {KeptLastGood})")]
    private static partial void LogRejected(ILogger logger, string source, string kind, string @namespace, string name, string field, string reason, bool keptLastGood);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Could not apply cluster {ClusterId}; retrying in {Delay}")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string clusterId, TimeSpan delay);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "File watcher error on {Directory}; re-reading it and watching it anew")]
    private static partial void LogWatcherError(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 505, Level = LogLevel.Error, Message = "The config directory {Directory} cannot be listed ({Reason}); the last good configuration keeps serving until it returns")]
    private static partial void LogUnavailable(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 506, Level = LogLevel.Information, Message = "The config directory {Directory} is read again (it was {State})")]
    private static partial void LogRecovered(ILogger logger, string directory, string state);

    [LoggerMessage(EventId = 507, Level = LogLevel.Error, Message = "The source of {Directory} failed; the last good configuration keeps serving; retrying in {Delay}")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception, string directory, TimeSpan delay);

    [LoggerMessage(EventId = 508, Level = LogLevel.Warning, Message = "Not following the directory link {Link}: {Reason}")]
    private static partial void LogLinkSkipped(ILogger logger, string link, string reason);

    [LoggerMessage(EventId = 509, Level = LogLevel.Warning, Message = "Could not read {Path} in the config directory ({Reason}); what it held keeps serving")]
    private static partial void LogUnlisted(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "The walk of {Directory} stopped at a bound: {Reason}")]
    private static partial void LogTruncated(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 512, Level = LogLevel.Information, Message = "Standing by for {Directory} (member cluster {ClusterId}): another silo of this deployment reads it")]
    private static partial void LogStandby(ILogger logger, string directory, string clusterId);

    [LoggerMessage(EventId = 513, Level = LogLevel.Warning, Message = "Took over {Directory} (member cluster {ClusterId}) from the silo that read it; reading it whole")]
    private static partial void LogTookOver(ILogger logger, string directory, string clusterId);

    [LoggerMessage(EventId = 514, Level = LogLevel.Warning, Message = "Lost the lease of {Directory} (member cluster {ClusterId}) to another silo; standing by")]
    private static partial void LogLeaseLost(ILogger logger, string directory, string clusterId);

    [LoggerMessage(EventId = 515, Level = LogLevel.Warning, Message = "Could not reach the source lease of member cluster {ClusterId}")]
    private static partial void LogLeaseUnreachable(ILogger logger, Exception exception, string clusterId);

    [LoggerMessage(EventId = 516, Level = LogLevel.Debug, Message = "Could not hand on the source lease of member cluster {ClusterId}; it runs out by itself")]
    private static partial void LogLeaseNotReleased(ILogger logger, Exception exception, string clusterId);

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "Cannot watch {Parent} for the config directory being replaced; polling and the periodic resync will find it")]
    private static partial void LogParentNotWatched(ILogger logger, Exception exception, string parent);
}
