namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A temporary directory that a test fills with files and links, deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates an empty temporary directory.</summary>
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("mesh-test-").FullName;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>Writes <paramref name="text"/> to <paramref name="relative"/>, creating folders on the way.</summary>
    public string Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    /// <summary>Creates the folder <paramref name="relative"/>.</summary>
    public string Folder(string relative) => Directory.CreateDirectory(System.IO.Path.Combine(Path, relative)).FullName;

    /// <summary>Makes <paramref name="relative"/> a symbolic link to <paramref name="target"/> (kept as given: relative or absolute).</summary>
    public void Link(string relative, string target, bool directory)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        if (directory)
        {
            Directory.CreateSymbolicLink(full, target);
        }
        else
        {
            File.CreateSymbolicLink(full, target);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            // Links are deleted as links; nothing they point to is followed.
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
