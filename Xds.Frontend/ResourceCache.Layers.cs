using System.Collections.Immutable;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Layered caches: what a proxy is sent is often what every proxy of its kind shares (a
/// sidecar's outbound listeners, routes, clusters and endpoints) plus a small part of its own
/// (its workload's inbound listener and clusters). A layered cache holds the union of a shared
/// <em>base</em> cache and an <em>overlay</em> cache, the overlay winning where both name a
/// resource, without copying either: its view is the base's immutable dictionaries with the
/// overlay's few entries set on them, and a change to either layer moves it on by what changed
/// (the names each layer's log reports), so a base change costs each layered cache its changed
/// names, never the size of the mesh. Resources are the layers' own instances, so the bytes and
/// <c>Any</c> wrappers stay shared; locality variants of the base's endpoints come from the base.
/// </summary>
public sealed partial class ResourceCache
{
    private readonly ResourceCache? _base;
    private readonly ResourceCache? _overlay;
    private CacheView? _seenBase;
    private CacheView? _seenOverlay;

    /// <summary>Creates a layered cache: the union of <paramref name="base"/> and <paramref name="overlay"/>.</summary>
    /// <remarks>The caller keeps it current by calling <see cref="Recompose"/> whenever either layer changes.</remarks>
    public ResourceCache(string scope, ResourceCache @base, ResourceCache overlay)
        : this(scope)
    {
        ArgumentNullException.ThrowIfNull(@base);
        ArgumentNullException.ThrowIfNull(overlay);
        _base = @base;
        _overlay = overlay;
    }

    /// <summary>True for a layered cache.</summary>
    public bool IsLayered => _base is not null;

    /// <summary>
    /// Moves a layered cache on to its layers' current views. Does nothing until both layers
    /// are ready; then the first call fills it and completes <see cref="Ready"/>.
    /// </summary>
    public void Recompose()
    {
        if (_base is null || _overlay is null)
        {
            throw new InvalidOperationException("only a layered cache is recomposed");
        }

        if (!_base.Ready.IsCompleted || !_overlay.Ready.IsCompleted)
        {
            return;
        }

        lock (_gate)
        {
            var baseView = _base.Current;
            var overlayView = _overlay.Current;
            if (ReferenceEquals(baseView, _seenBase) && ReferenceEquals(overlayView, _seenOverlay))
            {
                return;
            }

            var view = _view;
            var changedBase = _seenBase is null ? null : baseView.ChangedSince(_seenBase.Generation, _seenBase.Epoch);
            var changedOverlay = _seenOverlay is null ? null : overlayView.ChangedSince(_seenOverlay.Generation, _seenOverlay.Epoch);
            _seenBase = baseView;
            _seenOverlay = overlayView;
            if (view.Epoch < 0 || changedBase is null || changedOverlay is null)
            {
                // First fill, or a layer was refilled from a snapshot or is too far ahead for its log: merge whole.
                var merged = Merge(baseView.ByType, overlayView.ByType);
                var generation = view.Epoch < 0 ? Guid.NewGuid() : view.Generation;
                var log = view.Epoch < 0 ? ImmutableList<CacheChange>.Empty : Append(view.Log, new CacheChange(view.Epoch, view.Epoch + 1, Diff(view.ByType, merged)));
                _view = new CacheView(generation, view.Epoch + 1, merged, log) { ChangedAt = System.Diagnostics.Stopwatch.GetTimestamp(), TypeSums = SumsOf(merged) };
            }
            else
            {
                var names = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
                foreach (var (typeUrl, changed) in changedBase.Concat(changedOverlay))
                {
                    Changed(names, typeUrl).UnionWith(changed);
                }

                if (names.Count == 0)
                {
                    return;
                }

                var byType = view.ByType.ToBuilder();
                var sums = (view.TypeSums ?? SumsOf(view.ByType)).ToBuilder();
                foreach (var (typeUrl, changed) in names)
                {
                    var resources = (byType.TryGetValue(typeUrl, out var existing) ? existing : s_emptyType).ToBuilder();
                    var sum = sums.GetValueOrDefault(typeUrl);
                    foreach (var name in changed)
                    {
                        if (resources.TryGetValue(name, out var old))
                        {
                            sum -= ResourceVersion.HashOf(old.Name, old.Version);
                            resources.Remove(name);
                        }

                        var now = overlayView.Of(typeUrl).GetValueOrDefault(name) ?? baseView.Of(typeUrl).GetValueOrDefault(name);
                        if (now is not null)
                        {
                            sum += ResourceVersion.HashOf(now.Name, now.Version);
                            resources[name] = now;
                        }
                    }

                    byType[typeUrl] = resources.ToImmutable();
                    sums[typeUrl] = sum;
                }

                var change = new CacheChange(view.Epoch, view.Epoch + 1, names.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableHashSet(StringComparer.Ordinal), StringComparer.Ordinal));
                _view = new CacheView(view.Generation, view.Epoch + 1, byType.ToImmutable(), Append(view.Log, change)) { ChangedAt = System.Diagnostics.Stopwatch.GetTimestamp(), TypeSums = sums.ToImmutable() };
            }
        }

        _ready.TrySetResult();
        NotifyListeners();
    }

    private static ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> Merge(
        ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> below,
        ImmutableDictionary<string, ImmutableDictionary<string, CachedResource>> above)
    {
        var merged = below.ToBuilder();
        foreach (var (typeUrl, resources) in above)
        {
            merged[typeUrl] = merged.TryGetValue(typeUrl, out var existing) ? existing.SetItems(resources) : resources;
        }

        return merged.ToImmutable();
    }

    /// <summary>The cache that built <paramref name="resource"/>'s locality variants: a layered cache asks the layer it came from.</summary>
    private ResourceCache VariantOwner(CachedResource resource)
    {
        if (_base is null || _overlay is null)
        {
            return this;
        }

        return _overlay.Current.Of(resource.TypeUrl).TryGetValue(resource.Name, out var own) && ReferenceEquals(own, resource)
            ? _overlay.VariantOwner(resource)
            : _base.VariantOwner(resource);
    }
}
