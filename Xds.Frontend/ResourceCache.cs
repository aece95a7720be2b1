using System.Collections.Immutable;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// The resources of one scope as this frontend process holds them, shared by all of its
/// streams. It is only ever a copy: filled from the scope's snapshot, kept current by the
/// scope's updates, and refilled from the snapshot whenever an update does not follow on
/// from what it holds. Readers see immutable snapshots, so a stream never blocks an update.
/// </summary>
public sealed partial class ResourceCache
{
    private static readonly ImmutableDictionary<string, CachedResource> s_emptyType =
        ImmutableDictionary.Create<string, CachedResource>(StringComparer.Ordinal);

    private readonly object _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableDictionary<long, Action> _listeners = ImmutableDictionary<long, Action>.Empty;
    private long _nextListener;
    private long _anyBuilt;
    private readonly ResourceInterner? _interner;
    /// <summary>How many changes the log keeps, so that a stream a few changes behind looks only at what changed.</summary>
    public const int ChangeLogLength = 128;

    private volatile CacheView _view = new(Guid.Empty, -1, ImmutableDictionary.Create<string, ImmutableDictionary<string, CachedResource>>(StringComparer.Ordinal), ImmutableList<CacheChange>.Empty);

    /// <summary>
    /// Creates a cache for one scope; with <paramref name="interner"/>, a resource version another
    /// cache of the process already holds is taken from it rather than built again.
    /// </summary>
    public ResourceCache(string scope, ResourceInterner? interner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        Scope = scope;
        _interner = interner;
    }

    /// <summary>The scope this cache mirrors.</summary>
    public string Scope { get; }

    /// <summary>The current contents.</summary>
    public CacheView Current => _view;

    /// <summary>
    /// How many resource <see cref="Any"/> wrappers this cache has built: one per resource
    /// version that arrived, however many streams send it (the serialise-once invariant), and
    /// none for a version another cache of the process had built (see <see cref="ResourceInterner"/>).
    /// </summary>
    public long AnyBuilt => Interlocked.Read(ref _anyBuilt);

    /// <summary>Completes once the cache holds a first snapshot.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Calls <paramref name="onChange"/> after every change, until the returned handle is disposed.</summary>
    public IDisposable Listen(Action onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var id = Interlocked.Increment(ref _nextListener);
        ImmutableInterlocked.TryAdd(ref _listeners, id, onChange);
        return new Listener(this, id);
    }

    /// <summary>The number of listening streams.</summary>
    public int ListenerCount => _listeners.Count;

    /// <summary>
    /// Replaces the contents with <paramref name="snapshot"/> unless the cache already holds
    /// that epoch or a later one of the same generation.
    /// </summary>
    public void Reset(ScopeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            var view = _view;
            if (view.Generation == snapshot.Generation && view.Epoch >= snapshot.Epoch)
            {
                return;
            }

            var byType = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<string, CachedResource>>(StringComparer.Ordinal);
            foreach (var group in snapshot.Resources.GroupBy(r => r.TypeUrl, StringComparer.Ordinal))
            {
                var existing = view.Of(group.Key);
                var resources = ImmutableDictionary.CreateBuilder<string, CachedResource>(StringComparer.Ordinal);
                foreach (var resource in group)
                {
                    // Keep the Any already built for an unchanged version.
                    resources[resource.Name] = existing.TryGetValue(resource.Name, out var cached) && cached.Version == resource.Version
                        ? cached
                        : Build(resource);
                }

                byType[group.Key] = resources.ToImmutable();
            }

            var resetTo = byType.ToImmutable();
            var log = ImmutableList<CacheChange>.Empty;
            if (view.Generation == snapshot.Generation)
            {
                log = Append(view.Log, new CacheChange(view.Epoch, snapshot.Epoch, Diff(view.ByType, resetTo)));
            }

            _view = new CacheView(snapshot.Generation, snapshot.Epoch, resetTo, log) { ChangedAt = System.Diagnostics.Stopwatch.GetTimestamp(), TypeSums = SumsOf(resetTo) };
            DropSupersededVariants(_variants.Keys);
        }

        _ready.TrySetResult();
        NotifyListeners();
    }

    /// <summary>
    /// Applies <paramref name="update"/> when it follows on from the current epoch. Returns
    /// false when it does not (a gap or another generation): the caller must resync from a snapshot.
    /// An update the cache already holds is ignored and counts as applied.
    /// </summary>
    public bool TryApply(ScopeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var arrivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_gate)
        {
            var view = _view;
            if (view.Generation != update.Generation || update.FromEpoch > view.Epoch)
            {
                return false;
            }

            if (update.ToEpoch <= view.Epoch)
            {
                return true;
            }

            if (update.FromEpoch != view.Epoch)
            {
                return false;
            }

            var byType = view.ByType.ToBuilder();
            var sums = (view.TypeSums ?? SumsOf(view.ByType)).ToBuilder();
            var changed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var removed in update.Removed)
            {
                if (byType.TryGetValue(removed.TypeUrl, out var resources))
                {
                    if (resources.TryGetValue(removed.Name, out var gone))
                    {
                        sums[removed.TypeUrl] = sums.GetValueOrDefault(removed.TypeUrl) - ResourceVersion.HashOf(gone.Name, gone.Version);
                    }

                    byType[removed.TypeUrl] = resources.Remove(removed.Name);
                }

                Changed(changed, removed.TypeUrl).Add(removed.Name);
            }

            foreach (var resource in update.Upserted)
            {
                var resources = byType.TryGetValue(resource.TypeUrl, out var existing) ? existing : s_emptyType;
                var sum = sums.GetValueOrDefault(resource.TypeUrl) + ResourceVersion.HashOf(resource.Name, resource.Version);
                if (resources.TryGetValue(resource.Name, out var replaced))
                {
                    sum -= ResourceVersion.HashOf(replaced.Name, replaced.Version);
                }

                sums[resource.TypeUrl] = sum;
                byType[resource.TypeUrl] = resources.SetItem(resource.Name, Build(resource));
                Changed(changed, resource.TypeUrl).Add(resource.Name);
            }

            var change = new CacheChange(view.Epoch, update.ToEpoch, changed.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableHashSet(StringComparer.Ordinal), StringComparer.Ordinal));

            // The type's version moves by what changed: a change costs what it touches, not what the mesh holds.
            _view = new CacheView(view.Generation, update.ToEpoch, byType.ToImmutable(), Append(view.Log, change)) { ChangedAt = System.Diagnostics.Stopwatch.GetTimestamp(), TypeSums = sums.ToImmutable() };
            if (changed.TryGetValue(TypeUrls.ClusterLoadAssignment, out var endpoints))
            {
                DropSupersededVariants(endpoints);
            }
        }

        NotifyListeners();
        _interner?.Pushes.Record(Scope, update, ListenerCount, arrivedAt); // for /debug/push_status; the process's caches share the interner
        return true;
    }

    /// <summary>Per type, the sum of <see cref="ResourceVersion.HashOf"/> over its resources.</summary>
    private static ImmutableDictionary<string, ulong> SumsOf(ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> byType) =>
        byType.ToImmutableDictionary(
            p => p.Key,
            p => p.Value.Values.Aggregate(0UL, (sum, r) => sum + ResourceVersion.HashOf(r.Name, r.Version)),
            StringComparer.Ordinal);

    private static HashSet<string> Changed(Dictionary<string, HashSet<string>> changed, string typeUrl)
    {
        if (!changed.TryGetValue(typeUrl, out var names))
        {
            names = new HashSet<string>(StringComparer.Ordinal);
            changed.Add(typeUrl, names);
        }

        return names;
    }

    private static ImmutableList<CacheChange> Append(ImmutableList<CacheChange> log, CacheChange change)
    {
        log = log.Add(change);
        return log.Count > ChangeLogLength ? log.RemoveAt(0) : log;
    }

    private static ImmutableDictionary<string, ImmutableHashSet<string>> Diff(
        ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> before,
        ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> after)
    {
        var changed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var typeUrl in before.Keys.Union(after.Keys))
        {
            var old = before.GetValueOrDefault(typeUrl) ?? s_emptyType;
            var now = after.GetValueOrDefault(typeUrl) ?? s_emptyType;
            foreach (var name in old.Keys.Union(now.Keys))
            {
                if (!old.TryGetValue(name, out var a) || !now.TryGetValue(name, out var b) || a.Version != b.Version)
                {
                    Changed(changed, typeUrl).Add(name);
                }
            }
        }

        return changed.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    private CachedResource Build(XdsResource resource) =>
        _interner is null ? BuildNew(resource) : _interner.GetOrBuild(resource, BuildNew);

    private CachedResource BuildNew(XdsResource resource)
    {
        Interlocked.Increment(ref _anyBuilt);
        var any = new Any { TypeUrl = resource.TypeUrl, Value = UnsafeByteOperations.UnsafeWrap(resource.Payload) };
        return new CachedResource(resource.TypeUrl, resource.Name, resource.Version, any, resource.LocalityLb);
    }

    private void NotifyListeners()
    {
        foreach (var listener in _listeners.Values)
        {
            listener();
        }
    }

    /// <summary>An immutable view of the cache at one epoch, with the log of recent changes that led to it.</summary>
    public sealed record CacheView(
        Guid Generation,
        long Epoch,
        ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> ByType,
        ImmutableList<CacheChange> Log)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _typeVersions = new(StringComparer.Ordinal);

        // Every stream that was current asks for the same thing after a change; work it out once.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid, long), IReadOnlyDictionary<string, HashSet<string>>?> _changedSince = new();

        private readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid, long, string), ResourceChanges?> _changesSince = new();

        /// <summary>When the change that made this view reached the cache (a <see cref="System.Diagnostics.Stopwatch"/> timestamp); null for a view made otherwise.</summary>
        public long? ChangedAt { get; init; }

        /// <summary>The resources of one type, by name.</summary>
        public ImmutableDictionary<string, CachedResource> Of(string typeUrl) =>
            ByType.TryGetValue(typeUrl, out var resources) ? resources : s_emptyType;

        /// <summary>
        /// Per type, the sum of <see cref="ResourceVersion.HashOf"/> over its resources, carried
        /// from view to view by what changed; null in a view made without it.
        /// </summary>
        public ImmutableDictionary<string, ulong>? TypeSums { get; init; }

        /// <summary>
        /// The version of every resource of a type together (a SotW wildcard's version_info, a
        /// Delta response's system_version_info): <see cref="ResourceVersion.OfSet"/> of them all,
        /// read from <see cref="TypeSums"/>, or computed once per view however many streams ask.
        /// </summary>
        public string TypeVersion(string typeUrl) => TypeSums is { } sums
            ? ResourceVersion.OfSum(sums.GetValueOrDefault(typeUrl))
            : _typeVersions.GetOrAdd(typeUrl, t => ResourceVersion.OfSet(Of(t).Values.Select(r => (r.Name, r.Version))));

        /// <summary>
        /// The names, per type, that changed since <paramref name="epoch"/> of
        /// <paramref name="generation"/>; null when the log does not reach back that far (then
        /// the caller compares everything).
        /// </summary>
        public IReadOnlyDictionary<string, HashSet<string>>? ChangedSince(Guid generation, long epoch) =>
            _changedSince.GetOrAdd((generation, epoch), key => ComputeChangedSince(key.Item1, key.Item2));

        /// <summary>
        /// The resources of <paramref name="typeUrl"/> that changed since <paramref name="epoch"/> of
        /// <paramref name="generation"/>, in name order with each one's resource in this view; worked
        /// out once per view, starting point and type, however many streams ask. Null when the log
        /// does not reach back that far (then the caller compares everything).
        /// </summary>
        public ResourceChanges? ChangesSince(Guid generation, long epoch, string typeUrl) =>
            _changesSince.GetOrAdd((generation, epoch, typeUrl), key => ChangedSince(key.Item1, key.Item2) is { } changed
                ? ResourceChanges.Of(changed.GetValueOrDefault(key.Item3), Of(key.Item3))
                : null);

        /// <summary>The name instance the cache holds for <paramref name="name"/>, so streams share one string per name.</summary>
        public string Intern(string typeUrl, string name) =>
            Of(typeUrl).TryGetValue(name, out var resource) ? resource.Name : name;

        private IReadOnlyDictionary<string, HashSet<string>>? ComputeChangedSince(Guid generation, long epoch)
        {
            if (generation != Generation || epoch > Epoch)
            {
                return null;
            }

            var changed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            var at = epoch;
            foreach (var change in Log)
            {
                if (change.ToEpoch <= at)
                {
                    continue;
                }

                if (change.FromEpoch > at)
                {
                    return null;
                }

                foreach (var (typeUrl, names) in change.Keys)
                {
                    Changed(changed, typeUrl).UnionWith(names);
                }

                at = change.ToEpoch;
            }

            return at == Epoch ? changed : null;
        }
    }

    /// <summary>The names, per type, whose resources changed from one epoch to the next.</summary>
    public sealed record CacheChange(long FromEpoch, long ToEpoch, ImmutableDictionary<string, ImmutableHashSet<string>> Keys);

    private sealed class Listener(ResourceCache cache, long id) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.TryRemove(ref cache._listeners, id, out _);
    }
}
