using System.Diagnostics;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// The last <see cref="Capacity"/> scope updates this process's caches applied, newest last, for
/// <c>/debug/push_status</c>: istiod keeps its last push's status; here a push is a scope
/// update arriving from a ScopeGrain and waking the streams that listen on that scope's cache.
/// </summary>
/// <remarks>
/// A fixed ring of small records under a lock taken once per applied update (not per stream, not
/// per resource), so recording costs the push path next to nothing and the log never grows.
/// </remarks>
public sealed class PushLog
{
    /// <summary>How many updates the log keeps.</summary>
    public const int Capacity = 100;

    private readonly object _gate = new();
    private readonly PushRecord?[] _ring = new PushRecord?[Capacity];
    private readonly TimeProvider _time;
    private long _count;

    /// <summary>Creates an empty log that stamps records with <paramref name="time"/>.</summary>
    public PushLog(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>How many updates were recorded since the process started (the log keeps the last <see cref="Capacity"/>).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>
    /// Records that the cache of <paramref name="scope"/> applied <paramref name="update"/>, which
    /// arrived at the <see cref="Stopwatch"/> timestamp <paramref name="arrivedAt"/>, and woke
    /// <paramref name="listeners"/> listeners (streams, and layered caches built on the scope).
    /// </summary>
    public void Record(string scope, ScopeUpdate update, int listeners, long arrivedAt)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(update);
        var byType = new Dictionary<string, TypeChange>(StringComparer.Ordinal);
        foreach (var resource in update.Upserted)
        {
            var counts = byType.GetValueOrDefault(resource.TypeUrl);
            byType[resource.TypeUrl] = counts with { Changed = counts.Changed + 1 };
        }

        foreach (var removed in update.Removed)
        {
            var counts = byType.GetValueOrDefault(removed.TypeUrl);
            byType[removed.TypeUrl] = counts with { Removed = counts.Removed + 1 };
        }

        var record = new PushRecord(
            _time.GetUtcNow(),
            scope,
            update.FromEpoch,
            update.ToEpoch,
            update.Upserted.Count,
            update.Removed.Count,
            byType,
            Stopwatch.GetElapsedTime(arrivedAt),
            listeners);
        lock (_gate)
        {
            _ring[_count % Capacity] = record;
            _count++;
        }
    }

    /// <summary>The records kept, oldest first.</summary>
    public IReadOnlyList<PushRecord> Snapshot()
    {
        lock (_gate)
        {
            var kept = (int)Math.Min(_count, Capacity);
            var records = new List<PushRecord>(kept);
            for (var i = _count - kept; i < _count; i++)
            {
                records.Add(_ring[i % Capacity]!);
            }

            return records;
        }
    }

    /// <summary>How many resources of one type an update upserted and removed.</summary>
    /// <param name="Changed">Resources added or replaced.</param>
    /// <param name="Removed">Resources removed.</param>
    public readonly record struct TypeChange(int Changed, int Removed);

    /// <summary>One applied scope update.</summary>
    /// <param name="Time">When it was applied.</param>
    /// <param name="Scope">The scope whose cache applied it.</param>
    /// <param name="FromEpoch">The epoch it followed on from.</param>
    /// <param name="ToEpoch">The epoch it brought the cache to.</param>
    /// <param name="Changed">Resources added or replaced.</param>
    /// <param name="Removed">Resources removed.</param>
    /// <param name="ByType">The same counts per type URL.</param>
    /// <param name="Duration">From the update's arrival at the cache to every listener woken (not to the streams' writes).</param>
    /// <param name="Listeners">
    /// What listened on the cache and was woken: each stream of the scope, and each layered
    /// (<c>base+overlay</c>) cache built on it, which in turn wakes its own streams.
    /// </param>
    public sealed record PushRecord(
        DateTimeOffset Time,
        string Scope,
        long FromEpoch,
        long ToEpoch,
        int Changed,
        int Removed,
        IReadOnlyDictionary<string, TypeChange> ByType,
        TimeSpan Duration,
        int Listeners);
}
