namespace Mesh.Orleans.Silo.Sources.Files;

/// <summary>
/// Resolves a path to its canonical form with every symbolic link along it followed, as
/// POSIX <c>realpath</c> does: components are resolved left to right, so a <c>..</c> after a
/// link climbs out of the link's target, not out of the link's own folder.
/// </summary>
public static class RealPath
{
    /// <summary>How many links one resolution may follow before it counts as a loop (Linux's ELOOP limit).</summary>
    public const int MaxLinks = 40;

    /// <summary>
    /// The canonical path of <paramref name="path"/>. Throws <see cref="IOException"/> for a
    /// link loop and <see cref="FileNotFoundException"/> / <see cref="DirectoryNotFoundException"/>
    /// when a component does not exist.
    /// </summary>
    public static string Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Made absolute without normalising: "link/.." must climb out of the link's target.
        var full = Path.IsPathRooted(path) ? path : Path.Join(Environment.CurrentDirectory, path);
        var root = Path.GetPathRoot(full) ?? "/";
        var pending = new Stack<string>(Components(full[root.Length..]).Reverse());
        var current = root;
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var candidate = Path.Join(current, part);
            var info = new FileInfo(candidate);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    throw new IOException($"too many levels of symbolic links resolving '{path}'");
                }

                // The target's components replace the link's; an absolute target restarts at the root.
                foreach (var component in Components(target).Reverse())
                {
                    pending.Push(component);
                }

                if (Path.IsPathRooted(target))
                {
                    current = Path.GetPathRoot(target) ?? root;
                }

                continue;
            }

            if (!info.Exists && !Directory.Exists(candidate))
            {
                throw new DirectoryNotFoundException($"'{candidate}' does not exist");
            }

            current = candidate;
        }

        return current;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or lies below it (both canonical).</summary>
    public static bool IsWithin(string path, string directory)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(directory);
        if (path.Length == directory.Length)
        {
            return string.Equals(path, directory, StringComparison.Ordinal);
        }

        var prefix = Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static string[] Components(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
