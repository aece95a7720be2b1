using System.Collections.Immutable;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// The resources of one type that changed between two views of a cache: their names in ordinal
/// order, each with its resource in the later view (null: removed since). A view works it out once
/// per type and starting point (<see cref="ResourceCache.CacheView.ChangesSince"/>) and every
/// stream that was at that point shares it, so that a Delta stream looks only at what changed, in
/// the order its response lists it, rather than at everything it subscribes to.
/// </summary>
public sealed class ResourceChanges
{
    private readonly (string Name, CachedResource? Resource)[] _entries;

    private ResourceChanges((string Name, CachedResource? Resource)[] entries)
    {
        _entries = entries;
        Removed = entries.Count(e => e.Resource is null);
    }

    /// <summary>No change.</summary>
    public static ResourceChanges None { get; } = new([]);

    /// <summary>The changed names in ordinal order, each with its resource now (null: removed).</summary>
    public ReadOnlySpan<(string Name, CachedResource? Resource)> Entries => _entries;

    /// <summary>How many names changed.</summary>
    public int Count => _entries.Length;

    /// <summary>How many of them were removed.</summary>
    public int Removed { get; }

    /// <summary>How many of them exist now (added or updated).</summary>
    public int Upserted => _entries.Length - Removed;

    /// <summary>
    /// The changes of <paramref name="names"/> (null or empty: none) as <paramref name="resources"/>,
    /// the later view's resources of the type, hold them. A name that exists is given as the
    /// resource's own string, so streams keep one instance per name.
    /// </summary>
    public static ResourceChanges Of(IEnumerable<string>? names, ImmutableDictionary<string, CachedResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (names is null)
        {
            return None;
        }

        var entries = names
            .Select(name => resources.TryGetValue(name, out var resource) ? (resource.Name, (CachedResource?)resource) : (name, null))
            .ToArray();
        if (entries.Length == 0)
        {
            return None;
        }

        Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new ResourceChanges(entries);
    }
}
