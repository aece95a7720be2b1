namespace Mesh.Orleans.Silo.Sources.Files;

/// <summary>
/// Lists the <c>*.yaml</c> and <c>*.yml</c> files below a directory, bounded whatever the
/// file system holds: each real folder is walked at most once however many links lead to it,
/// so link loops (<c>loop -> .</c>, <c>sub/up -> ..</c>) end; links to folders outside the
/// tree are not followed; hidden entries (a leading dot, as Kubernetes' <c>..data</c>) are
/// skipped; and the walk stops after a number of files or bytes. Links to files are
/// followed wherever they point (a ConfigMap volume is made of them).
/// </summary>
public static class DirectoryWalker
{
    /// <summary>Walks <paramref name="directory"/>.</summary>
    /// <param name="directory">The watched directory.</param>
    /// <param name="maxFiles">Most files listed; the walk stops there.</param>
    /// <param name="maxTotalBytes">Most bytes of files to read together; the walk stops there.</param>
    /// <param name="maxFileBytes">Largest file read; a larger one is listed (and rejected when read) but its bytes are not counted.</param>
    public static DirectoryListing Walk(string directory, int maxFiles, long maxTotalBytes, long maxFileBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFiles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTotalBytes);

        string rootReal;
        List<FileSystemInfo> rootEntries;
        try
        {
            rootReal = RealPath.Of(directory);
            rootEntries = Entries(directory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return DirectoryListing.Unavailable(Describe(exception));
        }

        var files = new List<ListedFile>();
        var unlisted = new List<(string, string)>();
        var skipped = new List<(string, string)>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { rootReal };
        var hasLinks = false;
        long bytes = 0;
        string? truncated = null;

        // Depth-first in name order, with an explicit stack: a deep tree cannot overflow the call stack.
        var pending = new Stack<(string Relative, string Real, IEnumerator<FileSystemInfo> Entries)>();
        pending.Push((string.Empty, rootReal, rootEntries.GetEnumerator()));
        while (pending.Count > 0 && truncated is null)
        {
            var (relative, real, entries) = pending.Peek();
            if (!entries.MoveNext())
            {
                pending.Pop();
                continue;
            }

            var entry = entries.Current;
            if (entry.Name.StartsWith('.') || (entry.Attributes & FileAttributes.Hidden) != 0)
            {
                continue;
            }

            var entryRelative = relative.Length == 0 ? entry.Name : Path.Join(relative, entry.Name);
            hasLinks |= (entry.Attributes & FileAttributes.ReparsePoint) != 0;
            try
            {
                if (entry is DirectoryInfo folder)
                {
                    if (Enter(folder, entryRelative, real, rootReal, visited, skipped) is { } folderReal)
                    {
                        pending.Push((entryRelative, folderReal, Entries(folder.FullName).GetEnumerator()));
                    }

                    continue;
                }

                if (!IsYaml(entry.Name))
                {
                    continue;
                }

                if (files.Count >= maxFiles)
                {
                    truncated = $"more than {maxFiles} YAML files (Mesh:Source:MaxFiles); the rest keep what they last had";
                    break;
                }

                var listed = Describe((FileInfo)entry, entryRelative);
                var toRead = listed.Length > maxFileBytes ? 0 : Math.Max(listed.Length, 0);
                if (bytes + toRead > maxTotalBytes)
                {
                    truncated = $"more than {maxTotalBytes} bytes of YAML (Mesh:Source:MaxTotalBytes); the rest keep what they last had";
                    break;
                }

                bytes += toRead;
                files.Add(listed);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Changed or removed while walked, or unreadable: what it held is unknown, not gone.
                unlisted.Add((entryRelative, Describe(exception)));
            }
        }

        return new DirectoryListing(null, files, unlisted, skipped, truncated) { HasLinks = hasLinks };
    }

    /// <summary>The real path of a folder to walk, or null (with the reason recorded) when it is not to be walked.</summary>
    private static string? Enter(DirectoryInfo folder, string relative, string parentReal, string rootReal, HashSet<string> visited, List<(string, string)> skipped)
    {
        string folderReal;
        if (!IsLink(folder))
        {
            folderReal = Path.Join(parentReal, folder.Name);
        }
        else
        {
            try
            {
                folderReal = RealPath.Of(folder.FullName);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                skipped.Add((relative, "cannot be resolved: " + Describe(exception)));
                return null;
            }

            if (!RealPath.IsWithin(folderReal, rootReal))
            {
                skipped.Add((relative, $"points out of the watched directory, to {folderReal}"));
                return null;
            }
        }

        if (!visited.Add(folderReal))
        {
            skipped.Add((relative, $"leads to {folderReal}, which is already walked (a link loop or a second link to it)"));
            return null;
        }

        return folderReal;
    }

    /// <summary>
    /// Whether the entry is a symbolic link. The enumeration already knows (a link shows as a
    /// reparse point); asking <see cref="FileSystemInfo.LinkTarget"/> of every entry would cost
    /// a readlink call per file, most of a large directory's walk.
    /// </summary>
    private static bool IsLink(FileSystemInfo entry) =>
        (entry.Attributes & FileAttributes.ReparsePoint) != 0 && entry.LinkTarget is not null;

    /// <summary>Whether the walk reads a file of this name (<c>.yaml</c> or <c>.yml</c>, any case).</summary>
    public static bool IsYaml(string name) =>
        name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>A file's size and time, its final target's for a link (a dangling link lists with size -1 and is rejected when read).</summary>
    private static ListedFile Describe(FileInfo file, string relative)
    {
        if (IsLink(file))
        {
            try
            {
                // The real path, not just the final link's target: a ConfigMap swap changes the
                // "..data" folder link on the way, and the real path is what shows it.
                var target = new FileInfo(RealPath.Of(file.FullName));
                if (target.Exists)
                {
                    return new ListedFile(relative, target.FullName, target.Length, target.LastWriteTimeUtc);
                }
            }
            catch (IOException)
            {
                // Dangling, or a link loop between files: listed, and rejected with the reason when read.
            }

            return new ListedFile(relative, file.FullName, -1, DateTime.MinValue);
        }

        return new ListedFile(relative, file.FullName, file.Length, file.LastWriteTimeUtc);
    }

    private static List<FileSystemInfo> Entries(string directory)
    {
        var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        }).ToList();
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    private static string Describe(Exception exception) => exception.Message;
}
