using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Reads a directory of YAML, parsing again only the files whose size or modification time
/// changed since the last read, so that one edited file in a large directory costs one parse.
/// </summary>
public sealed class ParsedFileCache
{
    private Dictionary<string, (long Length, DateTime Written, ParsedFile File)> _files = new(StringComparer.Ordinal);

    /// <summary>Reads every <c>*.yaml</c>/<c>*.yml</c> file under <paramref name="directory"/> (hidden files skipped).</summary>
    public List<ParsedFile> ReadDirectory(string directory, int maxFileBytes)
    {
        var files = new List<ParsedFile>();
        var seen = new Dictionary<string, (long, DateTime, ParsedFile)>(StringComparer.Ordinal);
        IEnumerable<string> paths;
        try
        {
            paths = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden })
                .Where(p => p.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .ToList();
        }
        catch (IOException)
        {
            return files;
        }

        foreach (var path in paths)
        {
            var relative = Path.GetRelativePath(directory, path);
            try
            {
                var info = new FileInfo(path);
                var (length, written) = (info.Length, info.LastWriteTimeUtc);
                ParsedFile file;
                if (_files.TryGetValue(relative, out var cached) && cached.Length == length && cached.Written == written)
                {
                    file = cached.File;
                }
                else if (length > maxFileBytes)
                {
                    file = new ParsedFile(relative, $"the file has {length} bytes; at most {maxFileBytes} are read", []);
                }
                else
                {
                    file = KubernetesObjectParser.Parse(relative, File.ReadAllText(path));
                }

                seen[relative] = (length, written, file);
                files.Add(file);
            }
            catch (FileNotFoundException)
            {
                // Deleted between listing and reading: the next event brings the directory's new state.
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
            {
                files.Add(new ParsedFile(relative, "could not be read: " + exception.Message, []));
            }
        }

        _files = seen;
        return files;
    }
}
