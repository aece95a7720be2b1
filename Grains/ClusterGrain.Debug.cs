using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains;

/// <summary>The read-only view of the cluster's objects the debug endpoints ask for.</summary>
public sealed partial class ClusterGrain
{
    /// <inheritdoc/>
    public Task<ClusterObjects> GetObjectsAsync(IReadOnlyList<string>? kinds, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var wanted = kinds is null ? null : new HashSet<string>(kinds, StringComparer.Ordinal);

        // Ordered so that a truncated answer is the same prefix every time; a Secret goes out as its key only.
        var ordered = _index.Objects
            .Where(o => wanted is null || wanted.Contains(o.Key.Kind))
            .OrderBy(o => o.Key.Kind, StringComparer.Ordinal)
            .ThenBy(o => o.Key.Namespace, StringComparer.Ordinal)
            .ThenBy(o => o.Key.Name, StringComparer.Ordinal)
            .ToList();
        var taken = ordered.Take(limit).ToList();
        return Task.FromResult(new ClusterObjects(
            _epoch is not null,
            taken.Where(o => o.Value is not MeshSecret).Select(o => o.Value).ToList(),
            taken.Where(o => o.Value is MeshSecret).Select(o => o.Key).ToList(),
            ordered.Count,
            ordered.Count > taken.Count));
    }
}
