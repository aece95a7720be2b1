using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Turns a full read of a source (every file, parsed) into one <see cref="ClusterConfig"/>,
/// keeping the last good version of anything that turned bad: an object whose new version
/// is invalid keeps its previous one, and a file that can no longer be read at all keeps
/// every object it last contributed. Only deleting an object (or its file) removes it.
/// </summary>
public sealed class ConfigAssembler
{
    private Dictionary<ObjectKey, object> _lastGood = [];

    /// <summary>
    /// What the last <see cref="Assemble"/> read beside the routing objects: objects that do
    /// not apply (listed with a reason), kinds the mesh does not read (counted), and how many
    /// objects of each kind are held.
    /// </summary>
    public AssemblyReport Report { get; private set; } = AssemblyReport.Empty;
    private Dictionary<string, List<ObjectKey>> _fileKeys = new(StringComparer.Ordinal);

    /// <summary>Assembles the cluster's declaration from <paramref name="files"/>, in path order.</summary>
    public ClusterConfig Assemble(IEnumerable<ParsedFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var current = new Dictionary<ObjectKey, object>();
        var origin = new Dictionary<ObjectKey, string>();
        var fileKeys = new Dictionary<string, List<ObjectKey>>(StringComparer.Ordinal);
        var rejected = new List<RejectedObject>();

        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (file.FileError is not null)
            {
                var previous = _fileKeys.GetValueOrDefault(file.Path) ?? [];
                var kept = new List<ObjectKey>();
                foreach (var key in previous)
                {
                    if (_lastGood.TryGetValue(key, out var value) && current.TryAdd(key, value))
                    {
                        origin[key] = file.Path;
                        kept.Add(key);
                    }
                }

                fileKeys[file.Path] = kept;
                rejected.Add(new RejectedObject(file.Path, string.Empty, string.Empty, string.Empty, string.Empty, file.FileError, kept.Count > 0));
                continue;
            }

            var keys = new List<ObjectKey>();
            foreach (var document in file.Documents)
            {
                if (document.Rejection is { } rejection)
                {
                    var kept = document.Key is { } key
                        && !current.ContainsKey(key)
                        && _lastGood.TryGetValue(key, out var lastGood)
                        && current.TryAdd(key, lastGood);
                    if (kept)
                    {
                        origin[document.Key!.Value] = file.Path;
                        keys.Add(document.Key!.Value);
                    }

                    rejected.Add(rejection with { KeptLastGood = kept });
                    continue;
                }

                var objectKey = document.Key!.Value;
                if (current.ContainsKey(objectKey))
                {
                    rejected.Add(new RejectedObject(file.Path, objectKey.Kind, objectKey.Namespace, objectKey.Name, "metadata.name",
                        $"duplicate: the same {objectKey.Kind} is already declared in {origin[objectKey]}", KeptLastGood: false));
                    continue;
                }

                current.Add(objectKey, document.Value!);
                origin[objectKey] = file.Path;
                keys.Add(objectKey);
            }

            fileKeys[file.Path] = keys;
        }

        _lastGood = current;
        _fileKeys = fileKeys;
        var ignored = new List<IgnoredEntry>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var held = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in current)
        {
            if (value is IgnoredObject { Quiet: true })
            {
                skipped[key.Kind] = skipped.GetValueOrDefault(key.Kind) + 1;
                continue;
            }

            held[key.Kind] = held.GetValueOrDefault(key.Kind) + 1;
            if (value is IgnoredObject ignoredObject)
            {
                ignored.Add(new IgnoredEntry(origin[key], key.Kind, key.Namespace, key.Name, ignoredObject.Reason));
            }
        }

        ignored.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        Report = new AssemblyReport(ignored, skipped, held);
        return new ClusterConfig(
            current.Values.OfType<MeshService>().OrderBy(s => s.Hostname, StringComparer.Ordinal).ToList(),
            current.Values.OfType<MeshEndpointSlice>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            current.Values.OfType<VirtualServiceSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            rejected);
    }
}
