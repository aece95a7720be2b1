using Mesh.Orleans.Silo.Sources.Files;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources.Files;

public sealed class RealPathTests
{
    [Fact]
    public void Of_PathThroughLinks_ResolvesEachLinkInTurn()
    {
        using var dir = new TempDirectory();
        var real = dir.Folder("a/b");
        dir.Link("l1", "a", directory: true);
        dir.Link("a/up", "..", directory: true);

        Assert.Equal(real, RealPath.Of(Path.Combine(dir.Path, "l1", "up", "a", "b")));
    }

    [Fact]
    public void Of_DotDotAfterALink_ClimbsOutOfTheLinksTarget()
    {
        using var dir = new TempDirectory();
        dir.Folder("x/y");
        var z = dir.Folder("x/z");
        dir.Link("ly", "x/y", directory: true);

        // Lexically "ly/../z" would be "<dir>/z"; through the link it is "<dir>/x/z".
        Assert.Equal(z, RealPath.Of(Path.Combine(dir.Path, "ly", "..", "z")));
    }

    [Fact]
    public void Of_LinkLoop_ThrowsInsteadOfSpinning()
    {
        using var dir = new TempDirectory();
        dir.Link("a", "b", directory: true);
        dir.Link("b", "a", directory: true);

        Assert.Throws<IOException>(() => RealPath.Of(Path.Combine(dir.Path, "a")));
    }

    [Fact]
    public void Of_MissingPath_Throws()
    {
        using var dir = new TempDirectory();

        Assert.ThrowsAny<IOException>(() => RealPath.Of(Path.Combine(dir.Path, "missing", "x")));
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/", "/a", false)]
    public void IsWithin_ComparesWholeComponents(string path, string directory, bool within) =>
        Assert.Equal(within, RealPath.IsWithin(path, directory));
}
