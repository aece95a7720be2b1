using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// One <see cref="CachedResource"/> per resource version per process, however many scope caches
/// hold it: the sidecars', gateways' and proxyless clients' caches carry the same
/// ClusterLoadAssignments, and scoped caches (one per part of the mesh a proxy may see) carry the
/// same clusters many times over. A version is a content hash of the bytes (and, for an
/// assignment, of its locality setting), so equal type, name and version mean equal content, and
/// the first cache to receive a version builds its <c>Any</c> for all. Entries are weak: a
/// version no cache holds any more is collected, and its entry swept on a later add.
/// </summary>
public sealed class ResourceInterner
{
    private const int SweepEvery = 4096;

    private readonly ConcurrentDictionary<(string TypeUrl, string Name, string Version), WeakReference<CachedResource>> _entries = new();
    private long _built;
    private long _shared;
    private int _addsSinceSweep;

    /// <summary>How many resource versions were built (an <c>Any</c> each), over every cache of the process.</summary>
    public long Built => Interlocked.Read(ref _built);

    /// <summary>How many times a cache took a version another cache had already built.</summary>
    public long Shared => Interlocked.Read(ref _shared);

    /// <summary>The entries held now (live or not yet swept).</summary>
    public int Count => _entries.Count;

    /// <summary>The last scope updates the process's caches applied (the caches that share this interner record there), for <c>/debug/push_status</c>.</summary>
    public Debug.PushLog Pushes { get; } = new(TimeProvider.System);

    /// <summary>
    /// The process's instance of <paramref name="resource"/>'s version, built by
    /// <paramref name="build"/> if no cache holds that version now.
    /// </summary>
    public CachedResource GetOrBuild(XdsResource resource, Func<XdsResource, CachedResource> build)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(build);
        var key = (resource.TypeUrl, resource.Name, resource.Version);
        if (_entries.TryGetValue(key, out var weak) && weak.TryGetTarget(out var live))
        {
            Interlocked.Increment(ref _shared);
            return live;
        }

        // Two caches building the same version at once both build it: equal bytes, and the last one is kept for later caches.
        var built = build(resource);
        Interlocked.Increment(ref _built);
        _entries[key] = new WeakReference<CachedResource>(built);
        if (Interlocked.Increment(ref _addsSinceSweep) >= SweepEvery)
        {
            Interlocked.Exchange(ref _addsSinceSweep, 0);
            Sweep();
        }

        return built;
    }

    /// <summary>Removes the entries of versions no cache holds any more.</summary>
    public void Sweep()
    {
        foreach (var (key, weak) in _entries)
        {
            if (!weak.TryGetTarget(out _))
            {
                _entries.TryRemove(new KeyValuePair<(string, string, string), WeakReference<CachedResource>>(key, weak));
            }
        }
    }
}
