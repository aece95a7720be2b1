using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ParsedFileCacheTests(ITestOutputHelper output)
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

    [Fact]
    public void ReadDirectory_OneDocumentOfAMultiDocumentFileChanged_KeepsTheInstancesOfTheOthersStampedSlicesIncluded()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", OneFileMesh(services: 3, endpoints: 2));
        var cache = new ParsedFileCache();
        var settings = new YamlSourceOptions { ClusterId = "east" };
        var first = cache.ReadDirectory(dir.Path, settings).Files.Single();
        dir.Write("mesh.yaml", OneFileMesh(services: 3, endpoints: 2, changedService: 1));

        var second = cache.ReadDirectory(dir.Path, settings).Files.Single();

        Assert.Equal([true, true, false, true, true, true], first.Documents.Zip(second.Documents, ReferenceEquals));
        Assert.All(second.Documents.Select(d => d.Value).OfType<MeshEndpointSlice>(), s => Assert.Equal("east", s.MemberClusterId));
        Assert.Equal(Structure.Show(SliceOrigin.Stamp(KubernetesObjectParser.Parse("mesh.yaml", File.ReadAllText(Path.Combine(dir.Path, "mesh.yaml"))), "east", network: null)), Structure.Show(second));
    }

    [Fact]
    public void ReadDirectory_FileBrokenThenFixed_KeepsTheInstancesOfItsUnchangedDocuments()
    {
        using var dir = new TempDirectory();
        dir.Write("mesh.yaml", OneFileMesh(services: 3, endpoints: 2));
        var cache = new ParsedFileCache();
        var first = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();
        dir.Write("mesh.yaml", OneFileMesh(services: 3, endpoints: 2) + "\n---\nbad: [unclosed\n");
        var broken = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();
        dir.Write("mesh.yaml", OneFileMesh(services: 3, endpoints: 2, changedService: 2));

        var fixedAgain = cache.ReadDirectory(dir.Path, new YamlSourceOptions()).Files.Single();

        Assert.StartsWith("not valid YAML", broken.FileError, StringComparison.Ordinal);
        Assert.Equal([true, true, true, true, false, true], first.Documents.Zip(fixedAgain.Documents, ReferenceEquals));
    }

    [Fact]
    public void ReadDirectory_FiveThousandServicesInOneFile_OneChanged_ReusesTheOther9999Documents()
    {
        // The mesh: 5,000 Services, each with an EndpointSlice of 10 endpoints, in one file.
        using var dir = new TempDirectory();
        var path = dir.Write("mesh.yaml", OneFileMesh(services: 5000, endpoints: 10));
        var settings = new YamlSourceOptions { MaxFileBytes = 64 * 1024 * 1024 };
        var cache = new ParsedFileCache();
        var watch = Stopwatch.StartNew();
        var first = cache.ReadDirectory(dir.Path, settings).Files.Single();
        var firstRead = watch.Elapsed;
        dir.Write("mesh.yaml", OneFileMesh(services: 5000, endpoints: 10, changedService: 2500));

        watch.Restart();
        var second = cache.ReadDirectory(dir.Path, settings).Files.Single();
        var reRead = watch.Elapsed;

        // The same change read as before this cache kept documents: the whole file parsed and stamped again.
        watch.Restart();
        var whole = SliceOrigin.Stamp(KubernetesObjectParser.Parse("mesh.yaml", File.ReadAllText(path)), settings.ClusterId, network: null);
        var wholeRead = watch.Elapsed;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length:N0} bytes, {second.Documents.Count:N0} documents: first read {firstRead.TotalMilliseconds:F0} ms; after one change, re-read {reRead.TotalMilliseconds:F0} ms, whole-file parse and stamp {wholeRead.TotalMilliseconds:F0} ms"));

        Assert.Null(second.FileError);
        Assert.Equal(10_000, second.Documents.Count);
        Assert.Equal(9_999, first.Documents.Zip(second.Documents, ReferenceEquals).Count(same => same));
        Assert.False(ReferenceEquals(first.Documents[5000], second.Documents[5000]));
        Assert.Equal(Structure.Show(whole), Structure.Show(second));
    }

    /// <summary>
    /// One file of <paramref name="services"/> Services, each followed by its EndpointSlice of
    /// <paramref name="endpoints"/> endpoints; the Service numbered <paramref name="changedService"/>
    /// listens on another port (a number of another length, so the file's size changes).
    /// </summary>
    private static string OneFileMesh(int services, int endpoints, int changedService = -1)
    {
        var documents = new List<string>(services * 2);
        for (var i = 0; i < services; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"svc-{i}");
            documents.Add(MeshYaml.Service(name, i == changedService ? 17000 : 7000));
            var addresses = Enumerable.Range(1, endpoints).Select(e => (string.Create(CultureInfo.InvariantCulture, $"10.{i / 250}.{i % 250}.{e}"), true));
            documents.Add(MeshYaml.Slice(name + "-1", name, 7000, addresses));
        }

        return MeshYaml.Documents([.. documents]);
    }

    [Fact]
    public void ReadFiles_NamedByEvents_ReadsOnlyThose_AndSaysWhenOnlyAWalkWillDo()
    {
        using var dir = new TempDirectory();
        dir.Write("a.yaml", MeshYaml.Service("a", 7000));
        dir.Write("b.yaml", MeshYaml.Service("b", 7001));
        var cache = new ParsedFileCache();
        var settings = new YamlSourceOptions();
        Assert.Null(cache.ReadFiles(dir.Path, ["a.yaml"], settings)); // No walk yet.
        var first = cache.ReadDirectory(dir.Path, settings).Files.ToDictionary(f => f.Path);

        dir.Write("a.yaml", MeshYaml.Service("a", 7100));
        dir.Write("c.yaml", MeshYaml.Service("c", 7002));
        System.IO.File.Delete(System.IO.Path.Combine(dir.Path, "b.yaml"));
        var updates = cache.ReadFiles(dir.Path, ["a.yaml", "b.yaml", "c.yaml", "a.yaml"], settings)!;

        Assert.Equal(["a.yaml", "b.yaml", "c.yaml"], updates.Select(u => u.Path));
        Assert.Equal(7100, Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.MeshService>(updates[0].File!.Documents.Single().Value).Ports.Single().Port);
        Assert.Null(updates[1].File);
        Assert.Equal(2, cache.Count);
        Assert.Empty(cache.ReadFiles(dir.Path, ["a.yaml"], settings)!); // Unchanged since.
        Assert.NotSame(first["a.yaml"], updates[0].File);

        // A name that is now a folder, or a directory with a link in it: only a walk can tell.
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(dir.Path, "d.yaml"));
        Assert.Null(cache.ReadFiles(dir.Path, ["d.yaml"], settings));
        dir.Link("e.yaml", "a.yaml", directory: false);
        cache.ReadDirectory(dir.Path, settings);
        Assert.Null(cache.ReadFiles(dir.Path, ["a.yaml"], settings));
    }
}
