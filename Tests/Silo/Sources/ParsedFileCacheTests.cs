using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ParsedFileCacheTests
{
    [Fact]
    public void ReadDirectory_UnchangedFile_IsNotParsedAgain()
    {
        using var dir = new TempDirectory();
        dir.Write("a.yaml", MeshYaml.Service("a", 7000));
        var cache = new ParsedFileCache();

        var first = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();
        var second = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();

        Assert.Same(first, second);
    }

    [Fact]
    public void ReadDirectory_WalkCutAtTheFileBound_KeepsTheFilesItDidNotReach()
    {
        using var dir = new TempDirectory();
        dir.Write("a.yaml", MeshYaml.Service("a", 7000));
        dir.Write("b.yaml", MeshYaml.Service("b", 7001));
        var cache = new ParsedFileCache();
        cache.ReadDirectory(dir.Path, new YamlSourceOptions());

        var (listing, files) = cache.ReadDirectory(dir.Path, new YamlSourceOptions { MaxFiles = 1 });

        Assert.NotNull(listing.Truncated);
        Assert.Equal(["a.yaml", "b.yaml"], files.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ReadDirectory_FileDeletedFromACompleteListing_IsGone()
    {
        using var dir = new TempDirectory();
        dir.Write("a.yaml", MeshYaml.Service("a", 7000));
        var b = dir.Write("b.yaml", MeshYaml.Service("b", 7001));
        var cache = new ParsedFileCache();
        cache.ReadDirectory(dir.Path, new YamlSourceOptions());
        File.Delete(b);

        var files = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files;

        Assert.Equal(["a.yaml"], files.Select(f => f.Path));
    }

    [Fact]
    public void ReadDirectory_DirectoryGone_ReturnsNothingAndKeepsTheCache()
    {
        using var parent = new TempDirectory();
        var mesh = parent.Folder("mesh");
        parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        var cache = new ParsedFileCache();
        cache.ReadDirectory(mesh, new YamlSourceOptions());
        Directory.Delete(mesh, recursive: true);

        var gone = cache.ReadDirectory(mesh, new YamlSourceOptions());
        parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));

        Assert.False(gone.Listing.Available);
        Assert.Empty(gone.Files);
        Assert.Equal("a.yaml", Assert.Single(cache.ReadDirectory(mesh, new YamlSourceOptions()).Files).Path);
    }

    [Fact]
    public void ReadDirectory_DanglingLink_IsRejectedWithTheReason()
    {
        using var dir = new TempDirectory();
        dir.Link("gone.yaml", "nowhere.yaml", directory: false);

        var file = new ParsedFileCache().ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();

        Assert.Contains("does not exist", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadDirectory_FileLargerThanTheLimit_IsRejectedWithoutReadingIt()
    {
        using var dir = new TempDirectory();
        dir.Write("big.yaml", new string('#', 2048));

        var file = new ParsedFileCache().ReadDirectory(dir.Path, new YamlSourceOptions { MaxFileBytes = 1024 }).Files.Single();

        Assert.Contains("at most 1024", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadDirectory_InvalidUtf8_IsRejected()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "bad.yaml"), [0x61, 0x3A, 0x20, 0xC3, 0x28]);

        var file = new ParsedFileCache().ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();

        Assert.StartsWith("could not be read", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadDirectory_ByteOrderMark_IsDropped()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "bom.yaml"), [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(MeshYaml.Service("a", 7000))]);

        var file = new ParsedFileCache().ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();

        Assert.Null(file.FileError);
        Assert.Null(Assert.Single(file.Documents).Rejection);
    }
}
