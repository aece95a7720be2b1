namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Remembers what the last pass reported, so that each problem is logged once when it first
/// appears rather than on every pass (a periodic resync would otherwise repeat every line), and
/// again if it goes away and comes back.
/// </summary>
public sealed class ReportedOnce
{
    private HashSet<string> _last = new(StringComparer.Ordinal);

    /// <summary>The items of this pass that the last pass did not have; this pass becomes the last.</summary>
    public List<T> New<T>(IEnumerable<T> items, Func<T, string> line)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(line);
        var now = new HashSet<string>(StringComparer.Ordinal);
        var fresh = new List<T>();
        foreach (var item in items)
        {
            var text = line(item);
            if (now.Add(text) && !_last.Contains(text))
            {
                fresh.Add(item);
            }
        }

        _last = now;
        return fresh;
    }
}
