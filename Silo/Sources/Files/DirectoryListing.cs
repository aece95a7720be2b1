namespace Mesh.Orleans.Silo.Sources.Files;

/// <summary>
/// What one walk of a watched directory found. A file counts as deleted only when it was
/// listed before and a complete walk of its folder no longer lists it: when the directory
/// itself cannot be listed (<see cref="Error"/>), a sub-folder cannot be listed
/// or an entry in it cannot be read (<see cref="Unlisted"/>) or the walk stopped at a bound (<see cref="Truncated"/>),
/// what was not seen is unknown, not gone.
/// </summary>
/// <param name="Error">Why the directory itself could not be listed, or null when it could.</param>
/// <param name="Files">The YAML files found, in path order.</param>
/// <param name="Unlisted">Relative paths of sub-folders (or entries) that could not be read, with the reason.</param>
/// <param name="SkippedLinks">Directory links not followed (loops, links out of the tree, dangling), with the reason.</param>
/// <param name="Truncated">Why the walk stopped early (a file-count or byte bound), or null.</param>
public sealed record DirectoryListing(
    string? Error,
    IReadOnlyList<ListedFile> Files,
    IReadOnlyList<(string Path, string Reason)> Unlisted,
    IReadOnlyList<(string Link, string Reason)> SkippedLinks,
    string? Truncated)
{
    /// <summary>True when the directory itself could be listed.</summary>
    public bool Available => Error is null;

    /// <summary>Whether the walk met a symbolic link (followed or skipped): the content behind a link changes without an event on the link.</summary>
    public bool HasLinks { get; init; }

    /// <summary>A listing of a directory that could not be read.</summary>
    public static DirectoryListing Unavailable(string error) => new(error, [], [], [], null);

    /// <summary>
    /// Whether a file at <paramref name="relativePath"/> that the walk did not list may still
    /// exist: the walk was cut short, or the file lies in a folder that could not be listed.
    /// </summary>
    public bool MayStillHold(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (Truncated is not null || !Available)
        {
            return true;
        }

        foreach (var (path, _) in Unlisted)
        {
            if (relativePath == path || relativePath.StartsWith(path + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
