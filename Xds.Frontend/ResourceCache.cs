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
public sealed class ResourceCache
{
    private static readonly ImmutableDictionary<string, CachedResource> s_emptyType =
        ImmutableDictionary.Create<string, CachedResource>(StringComparer.Ordinal);

    private readonly object _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableDictionary<long, Action> _listeners = ImmutableDictionary<long, Action>.Empty;
    private long _nextListener;
    private long _anyBuilt;
    private volatile CacheView _view = new(Guid.Empty, -1, ImmutableDictionary.Create<string, ImmutableDictionary<string, CachedResource>>(StringComparer.Ordinal));

    /// <summary>Creates a cache for one scope.</summary>
    public ResourceCache(string scope)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        Scope = scope;
    }

    /// <summary>The scope this cache mirrors.</summary>
    public string Scope { get; }

    /// <summary>The current contents.</summary>
    public CacheView Current => _view;

    /// <summary>
    /// How many resource <see cref="Any"/> wrappers this cache has built: one per resource
    /// version that arrived, however many streams send it (the serialise-once invariant).
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

            _view = new CacheView(snapshot.Generation, snapshot.Epoch, byType.ToImmutable());
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
            foreach (var removed in update.Removed)
            {
                if (byType.TryGetValue(removed.TypeUrl, out var resources))
                {
                    byType[removed.TypeUrl] = resources.Remove(removed.Name);
                }
            }

            foreach (var resource in update.Upserted)
            {
                var resources = byType.TryGetValue(resource.TypeUrl, out var existing) ? existing : s_emptyType;
                byType[resource.TypeUrl] = resources.SetItem(resource.Name, Build(resource));
            }

            _view = new CacheView(view.Generation, update.ToEpoch, byType.ToImmutable());
        }

        NotifyListeners();
        return true;
    }

    private CachedResource Build(XdsResource resource)
    {
        Interlocked.Increment(ref _anyBuilt);
        var any = new Any { TypeUrl = resource.TypeUrl, Value = UnsafeByteOperations.UnsafeWrap(resource.Payload) };
        return new CachedResource(resource.TypeUrl, resource.Name, resource.Version, any);
    }

    private void NotifyListeners()
    {
        foreach (var listener in _listeners.Values)
        {
            listener();
        }
    }

    /// <summary>An immutable view of the cache at one epoch.</summary>
    public sealed record CacheView(Guid Generation, long Epoch, ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> ByType)
    {
        /// <summary>The resources of one type, by name.</summary>
        public ImmutableDictionary<string, CachedResource> Of(string typeUrl) =>
            ByType.TryGetValue(typeUrl, out var resources) ? resources : s_emptyType;
    }

    private sealed class Listener(ResourceCache cache, long id) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.TryRemove(ref cache._listeners, id, out _);
    }
}
