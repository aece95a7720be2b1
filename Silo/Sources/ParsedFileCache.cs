using Mesh.Orleans.Silo.Sources.Files;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Reads a directory of YAML, parsing again only the files whose size, modification time or
/// link target changed since the last read, so that one edited file in a large directory costs
/// one parse; and in such a file, only the documents whose text changed, so that one edited
/// object in a large multi-document file costs one object's parse. An unchanged document keeps
/// its instance (stamped slices included), which is how what comes after tells it unchanged.
/// A file the walk could not see (its folder unreadable, the walk cut at a bound) keeps what it
/// last held; only a file that a complete listing no longer shows is gone.
/// </summary>
public sealed class ParsedFileCache
{
    private static readonly System.Text.UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Per file: how it was listed, what its last read gave, and the last parse of its text, whose
    /// documents the next read of a changed file reuses (kept through a read that fails, so the
    /// file fixed again finds them).
    /// </summary>
    private Dictionary<string, (ListedFile Listed, ParsedFile File, ParsedText? Text)> _files = new(StringComparer.Ordinal);

    // The last complete walk's listing: whether file events can stand for a walk.
    private DirectoryListing? _listing;

    /// <summary>
    /// Walks <paramref name="directory"/> and parses what changed. When the directory itself
    /// cannot be listed the cache is left as it is and the listing says why.
    /// </summary>
    public (DirectoryListing Listing, List<ParsedFile> Files) ReadDirectory(string directory, YamlSourceOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var listing = DirectoryWalker.Walk(directory, settings.MaxFiles, settings.MaxTotalBytes, settings.MaxFileBytes);
        if (!listing.Available)
        {
            return (listing, []);
        }

        var files = new List<ParsedFile>(listing.Files.Count);
        var seen = new Dictionary<string, (ListedFile, ParsedFile, ParsedText?)>(StringComparer.Ordinal);
        foreach (var listed in listing.Files)
        {
            var entry = _files.TryGetValue(listed.RelativePath, out var cached) && cached.Listed == listed
                ? cached
                : Read(listed, settings, previous: cached.Text);
            seen[listed.RelativePath] = entry;
            files.Add(entry.File);
        }

        foreach (var (path, cached) in _files)
        {
            if (!seen.ContainsKey(path) && listing.MayStillHold(path))
            {
                seen[path] = cached;
                files.Add(cached.File);
            }
        }

        _files = seen;
        _listing = listing;
        return (listing, files);
    }

    /// <summary>How many files the cache holds.</summary>
    public int Count => _files.Count;

    /// <summary>
    /// Reads again only <paramref name="relativePaths"/>, the YAML files that file events named
    /// since the last read, instead of walking the whole directory: a large directory's edit
    /// then costs one file. Returns each file that changed (null for one that is gone), or null
    /// when events cannot stand for a walk: no complete walk yet, the last walk met a link (the
    /// content behind a link changes without an event on the link) or a bound, or a named path
    /// is now a folder or a link, or would be a file past <see cref="YamlSourceOptions.MaxFiles"/>.
    /// </summary>
    public IReadOnlyList<(string Path, ParsedFile? File)>? ReadFiles(string directory, IEnumerable<string> relativePaths, YamlSourceOptions settings)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        ArgumentNullException.ThrowIfNull(settings);
        if (_listing is not { Available: true, HasLinks: false, Truncated: null, Unlisted.Count: 0 })
        {
            return null;
        }

        var updates = new List<(string, ParsedFile?)>();
        foreach (var relative in relativePaths.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(Path.Join(directory, relative));
            if (!info.Exists)
            {
                if (Directory.Exists(info.FullName))
                {
                    return null;
                }

                if (_files.Remove(relative))
                {
                    updates.Add((relative, null));
                }

                continue;
            }

            if ((info.Attributes & FileAttributes.ReparsePoint) != 0 || (!_files.ContainsKey(relative) && _files.Count >= settings.MaxFiles))
            {
                return null;
            }

            var listed = new ListedFile(relative, info.FullName, info.Length, info.LastWriteTimeUtc);
            if (_files.TryGetValue(relative, out var cached) && cached.Listed == listed)
            {
                continue;
            }

            var entry = Read(listed, settings, previous: cached.Text);
            _files[relative] = entry;
            updates.Add((relative, entry.File));
        }

        return updates;
    }

    /// <summary>
    /// Reads and parses a new or changed file, reusing the documents of <paramref name="previous"/>
    /// whose text did not change, each EndpointSlice stamped with the member cluster.
    /// </summary>
    private static (ListedFile Listed, ParsedFile File, ParsedText? Text) Read(ListedFile listed, YamlSourceOptions settings, ParsedText? previous)
    {
        var (content, error) = ReadContent(listed, settings.MaxFileBytes);
        if (content is null)
        {
            return (listed, new ParsedFile(listed.RelativePath, error, []), previous);
        }

        var text = KubernetesObjectParser.Parse(listed.RelativePath, content, previous, d => SliceOrigin.Stamp(d, settings.ClusterId, network: null));

        // The texts are kept only where there is something to reuse: a file of one document is
        // parsed whole anyway, and keeping its text would double what a large directory costs.
        return (listed, text.File, text.Chunks.Count > 1 ? text : null);
    }

    /// <summary>The file's text, or why it could not be read.</summary>
    private static (string? Text, string? Error) ReadContent(ListedFile listed, int maxFileBytes)
    {
        if (listed.Length < 0)
        {
            return (null, $"could not be read: the link's target {listed.ReadPath} does not exist");
        }

        if (listed.Length == 0)
        {
            // Never opened: a FIFO, socket or device also reports size 0, and opening a FIFO
            // blocks until something writes to it. A regular file that gets content later
            // changes its size and time, and is read then.
            return (string.Empty, null);
        }

        if (listed.Length > maxFileBytes)
        {
            return (null, $"the file has {listed.Length} bytes; at most {maxFileBytes} are read");
        }

        try
        {
            var text = ReadText(listed.ReadPath, maxFileBytes);
            return text is null
                ? (null, $"the file grew past {maxFileBytes} bytes while it was read")
                : (text, null);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException or ArgumentException)
        {
            // Also a file removed between listing and reading: its last good objects stay until
            // a listing no longer shows it (the removal's own file event brings that listing).
            return (null, "could not be read: " + exception.Message);
        }
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> bytes as UTF-8; null when the file holds more.</summary>
    private static string? ReadText(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new byte[Math.Min(maxBytes + 1L, Math.Max(stream.CanSeek ? stream.Length + 1 : 4096, 1))];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > maxBytes)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1L, buffer.Length * 2L));
            }

            var read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        if (total > maxBytes)
        {
            return null;
        }

        // UTF-8, as YAML and the Kubernetes API expect; a byte order mark at the start is dropped.
        var start = total >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;
        return s_utf8.GetString(buffer, start, total - start);
    }
}
