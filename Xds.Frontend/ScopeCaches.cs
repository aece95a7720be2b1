using Mesh.Orleans.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// The caches of the scopes this frontend's streams use, each held once per process and shared
/// by every stream of that scope. A stream resolves its scope once it knows its node
/// (<see cref="ScopeResolver"/>) and leases its cache: the first lease of a scope starts its
/// subscription, and the cache is dropped (its subscription ended) a while after the last lease
/// ends, so a proxy that reconnects at once finds it still warm. A layered scope (a kind's shared
/// scope with a workload's own part over it) leases both layers' caches and composes them.
/// The default scope's cache is the process's permanent one.
/// </summary>
public sealed partial class ScopeCaches : IAsyncDisposable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ResourceCache _default;
    private readonly IMeshStateClient _mesh;
    private readonly XdsFrontendOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ScopeCaches> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResourceInterner? _interner;
    private readonly SubscriptionRenewals? _renewals;

    /// <summary>
    /// Creates the set, with <paramref name="defaultCache"/> (kept current elsewhere) as the default
    /// scope's cache; its caches share resource versions through <paramref name="interner"/>
    /// (give the default cache the same one).
    /// </summary>
    public ScopeCaches(ResourceCache defaultCache, IMeshStateClient mesh, IOptions<XdsFrontendOptions> options, TimeProvider time, ILogger<ScopeCaches> logger, ResourceInterner? interner = null, SubscriptionRenewals? renewals = null)
    {
        _renewals = renewals;
        _interner = interner;
        ArgumentNullException.ThrowIfNull(defaultCache);
        ArgumentNullException.ThrowIfNull(options);
        _default = defaultCache;
        _mesh = mesh;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The scopes whose caches are held now, with how many leases each has (for debug endpoints).</summary>
    public IReadOnlyList<(string Scope, int Leases, int Resources)> InUse()
    {
        lock (_entries)
        {
            return _entries.Values
                .Select(e => (e.Cache.Scope, e.Leases, e.Cache.Current.ByType.Values.Sum(t => t.Count)))
                .OrderBy(e => e.Scope, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>
    /// Leases the cache of <paramref name="scope"/>; dispose the lease when the stream ends.
    /// The cache may not be filled yet: wait for its <see cref="ResourceCache.Ready"/>.
    /// </summary>
    public ScopeLease Acquire(ScopeKey scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.Overlay is null && scope.Base == _default.Scope)
        {
            return new ScopeLease(_default, null);
        }

        lock (_entries)
        {
            return new ScopeLease(AcquireLocked(scope).Cache, () => Release(scope.Name));
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        List<Entry> entries;
        lock (_entries)
        {
            entries = [.. _entries.Values];
            _entries.Clear();
        }

        // The process is ending: subscriptions are left to expire (the grain client may already be gone).
        foreach (var entry in entries)
        {
            entry.Stop(unsubscribe: false);
        }

        _stopping.Dispose();
    }

    private Entry AcquireLocked(ScopeKey scope)
    {
        if (!_entries.TryGetValue(scope.Name, out var entry))
        {
            entry = scope.Overlay is null ? StartPlain(scope.Base) : StartLayered(scope);
            _entries.Add(scope.Name, entry);
            LogStarted(_logger, scope.Name);
        }

        entry.Leases++;
        entry.IdleSince = null;
        return entry;
    }

    private Entry StartPlain(string scope)
    {
        if (scope == _default.Scope)
        {
            // The default cache lives for the process; an entry only counts its layered users.
            return new Entry(_default, _ => { });
        }

        var cache = new ResourceCache(scope, _interner);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var subscription = new ScopeSubscription(cache, _mesh, _options, _time, _logger, _renewals);
        _ = Task.Run(() => subscription.RunAsync(stop.Token));
        return new Entry(cache, unsubscribe =>
        {
            stop.Cancel();
            stop.Dispose();
            if (unsubscribe)
            {
                Unsubscribe(scope);
            }
        });
    }

    private Entry StartLayered(ScopeKey scope)
    {
        var baseKey = new ScopeKey(scope.Base, null);
        var overlayKey = new ScopeKey(scope.Overlay!, null);
        var below = AcquireLocked(baseKey).Cache;
        var above = AcquireLocked(overlayKey).Cache;
        var cache = new ResourceCache(scope.Name, below, above);
        var fromBase = below.Listen(cache.Recompose);
        var fromOverlay = above.Listen(cache.Recompose);
        cache.Recompose();
        return new Entry(cache, unsubscribe =>
        {
            fromBase.Dispose();
            fromOverlay.Dispose();
            if (unsubscribe)
            {
                ReleaseLocked(baseKey.Name);
                ReleaseLocked(overlayKey.Name);
            }
        });
    }

    private void Unsubscribe(string scope)
    {
        try
        {
            _ = _mesh.UnsubscribeAsync(scope, CancellationToken.None).ContinueWith(
                t => LogUnsubscribeFailed(_logger, t.Exception, scope),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or InvalidOperationException)
        {
            LogUnsubscribeFailed(_logger, exception, scope);
        }
    }

    private void Release(string name)
    {
        lock (_entries)
        {
            ReleaseLocked(name);
        }
    }

    private void ReleaseLocked(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
        {
            return;
        }

        entry.Leases--;
        if (entry.Leases > 0)
        {
            return;
        }

        // Kept for a while: a proxy that reconnects (or its next stream) finds the cache warm.
        var since = _time.GetUtcNow();
        entry.IdleSince = since;
        _ = Task.Delay(_options.ScopeCacheLinger, _time, _stopping.Token).ContinueWith(
            _ =>
            {
                lock (_entries)
                {
                    if (entry.Leases == 0 && entry.IdleSince == since
                        && _entries.TryGetValue(name, out var held) && ReferenceEquals(held, entry) && _entries.Remove(name))
                    {
                        entry.Stop(unsubscribe: true);
                        LogDropped(_logger, name);
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Scope {Scope} cache started for the streams that use it")]
    private static partial void LogStarted(ILogger logger, string scope);

    [LoggerMessage(EventId = 331, Level = LogLevel.Information, Message = "Scope {Scope} cache dropped: no stream has used it for the linger time")]
    private static partial void LogDropped(ILogger logger, string scope);

    [LoggerMessage(EventId = 332, Level = LogLevel.Warning, Message = "Could not end the subscription to scope {Scope}; it expires on its own")]
    private static partial void LogUnsubscribeFailed(ILogger logger, Exception? exception, string scope);

    private sealed class Entry(ResourceCache cache, Action<bool> stop)
    {
        public ResourceCache Cache { get; } = cache;

        public int Leases { get; set; }

        public DateTimeOffset? IdleSince { get; set; }

        /// <summary>Ends the cache's subscription (and, when <paramref name="unsubscribe"/>, tells the grain and releases the layers).</summary>
        public void Stop(bool unsubscribe) => stop(unsubscribe);
    }
}

/// <summary>A stream's use of a scope's cache; disposing it ends the use.</summary>
public sealed class ScopeLease(ResourceCache cache, Action? release) : IDisposable
{
    private Action? _release = release;

    /// <summary>The scope's cache.</summary>
    public ResourceCache Cache { get; } = cache;

    /// <inheritdoc/>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

/// <summary>
/// Which resources a proxy is sent: the <paramref name="Base"/> scope every proxy of its kind
/// shares, with its workload's own <paramref name="Overlay"/> scope over it (or none).
/// </summary>
public sealed record ScopeKey(string Base, string? Overlay)
{
    /// <summary>The name of the (possibly layered) scope, as debug endpoints show it.</summary>
    public string Name => Overlay is null ? Base : $"{Base}+{Overlay}";

    /// <summary>The default scope, alone.</summary>
    public static ScopeKey Default { get; } = new(ScopeNames.Default, null);
}
