using Mesh.Orleans.Silo.Sources.Files;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources.Files;

public sealed class DirectoryWalkerTests
{
    private const long Unbounded = long.MaxValue;

    [Fact]
    public void Walk_TwoLinkLoopsAtOnce_ListsEachFileOnceAndSkipsBothLoops()
    {
        // Issue 6, finding 3: "loopdir -> ." and "sub/up -> .." together made the walk grow
        // without bound (3.1 GB in 60 s).
        using var dir = new TempDirectory();
        dir.Write("a.yaml", "a: 1");
        dir.Write("sub/b.yaml", "b: 1");
        dir.Link("loopdir", ".", directory: true);
        dir.Link("sub/up", "..", directory: true);

        var listing = DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded);

        Assert.True(listing.Available);
        Assert.Equal(["a.yaml", Path.Combine("sub", "b.yaml")], listing.Files.Select(f => f.RelativePath));
        Assert.Equal(["loopdir", Path.Combine("sub", "up")], listing.SkippedLinks.Select(l => l.Link).Order(StringComparer.Ordinal));
        Assert.All(listing.SkippedLinks, l => Assert.Contains("already walked", l.Reason, StringComparison.Ordinal));
        Assert.Null(listing.Truncated);
    }

    [Fact]
    public void Walk_LinkToAFolderInTheTree_IsWalkedOnce()
    {
        using var dir = new TempDirectory();
        dir.Write("real/c.yaml", "c: 1");
        dir.Link("alias", "real", directory: true);

        var listing = DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded);

        // "alias" sorts first, so the folder is walked through it; "real" is then a second way in.
        Assert.Equal([Path.Combine("alias", "c.yaml")], listing.Files.Select(f => f.RelativePath));
        Assert.Equal("real", Assert.Single(listing.SkippedLinks).Link);
    }

    [Fact]
    public void Walk_LinkOutOfTheTree_IsNotFollowed()
    {
        using var outside = new TempDirectory();
        outside.Write("secret.yaml", "s: 1");
        using var dir = new TempDirectory();
        dir.Link("out", outside.Path, directory: true);

        var listing = DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded);

        Assert.Empty(listing.Files);
        var skipped = Assert.Single(listing.SkippedLinks);
        Assert.Equal("out", skipped.Link);
        Assert.Contains("out of the watched directory", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_HiddenEntriesAndOtherFiles_AreSkipped()
    {
        using var dir = new TempDirectory();
        dir.Write(".hidden.yaml", "h: 1");
        dir.Write(".git/x.yaml", "x: 1");
        dir.Write("readme.md", "#");
        dir.Write("ok.yml", "o: 1");

        var listing = DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded);

        Assert.Equal(["ok.yml"], listing.Files.Select(f => f.RelativePath));
    }

    [Fact]
    public void Walk_MoreFilesThanTheBound_StopsThereAndSaysSo()
    {
        using var dir = new TempDirectory();
        for (var i = 0; i < 10; i++)
        {
            dir.Write($"f{i}.yaml", "a: 1");
        }

        var listing = DirectoryWalker.Walk(dir.Path, 4, Unbounded, Unbounded);

        Assert.Equal(4, listing.Files.Count);
        Assert.Contains("MaxFiles", listing.Truncated, StringComparison.Ordinal);
        Assert.True(listing.MayStillHold("f9.yaml"));
    }

    [Fact]
    public void Walk_MoreBytesThanTheBound_StopsThere()
    {
        using var dir = new TempDirectory();
        dir.Write("a.yaml", new string('a', 100));
        dir.Write("b.yaml", new string('b', 100));

        var listing = DirectoryWalker.Walk(dir.Path, 1000, 150, Unbounded);

        Assert.Equal(["a.yaml"], listing.Files.Select(f => f.RelativePath));
        Assert.Contains("MaxTotalBytes", listing.Truncated, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_MissingDirectory_IsUnavailableWithTheReason()
    {
        using var dir = new TempDirectory();

        var listing = DirectoryWalker.Walk(Path.Combine(dir.Path, "gone"), 1000, Unbounded, Unbounded);

        Assert.False(listing.Available);
        Assert.NotEmpty(listing.Error!);
        Assert.True(listing.MayStillHold("anything.yaml"));
    }

    [Fact]
    public void Walk_FileLink_ReportsTheTargetsSizeTimeAndPath()
    {
        // Kubernetes' ConfigMap volume: "f.yaml -> ..data/f.yaml", "..data -> ..2026_11_26_1".
        using var dir = new TempDirectory();
        var target = dir.Write("..2026_11_26_1/f.yaml", "apiVersion: v1");
        dir.Link("..data", "..2026_11_26_1", directory: true);
        dir.Link("f.yaml", "..data/f.yaml", directory: false);

        var file = Assert.Single(DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded).Files);

        Assert.Equal("f.yaml", file.RelativePath);
        Assert.Equal(target, file.ReadPath);
        Assert.Equal(new FileInfo(target).Length, file.Length);
    }

    [Fact]
    public void Walk_DanglingFileLink_IsListedAsUnreadable()
    {
        using var dir = new TempDirectory();
        dir.Link("gone.yaml", "nowhere.yaml", directory: false);

        var file = Assert.Single(DirectoryWalker.Walk(dir.Path, 1000, Unbounded, Unbounded).Files);

        Assert.Equal(-1, file.Length);
    }
}
