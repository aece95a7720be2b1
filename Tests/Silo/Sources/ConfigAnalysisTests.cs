using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ConfigAnalysisTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public void Run_ADirectory_GivesTheSourcesRejectionsAndTheGrainsWarnings_AndWhereEachValidObjectComesFrom()
    {
        _folder.Write("b/greeter.yaml", MeshYaml.Service("greeter", 50051) + "\n---\n" + MeshYaml.Slice("orphan-1", "nobody", 80, [("10.0.0.1", true)]));
        _folder.Write("a/copy.yaml", MeshYaml.Service("greeter", 50051));
        _folder.Write("c/bad.yaml", MeshYaml.Service("bad", 0));

        var analysis = ConfigAnalysis.Run(_folder.Path);

        Assert.True(analysis.Listing.Available);
        Assert.Equal(["a/copy.yaml", "b/greeter.yaml", "c/bad.yaml"], analysis.Files.Select(f => f.Path));
        Assert.Equal(4, analysis.Objects);
        Assert.Equal(
            [
                "b/greeter.yaml: Service default/greeter: metadata.name: duplicate: the same Service is already declared in a/copy.yaml",
                "c/bad.yaml: Service default/bad: spec.ports[0].port: must be between 1 and 65535, not 0",
            ],
            analysis.Rejected.Select(r => r.ToString()).Order(StringComparer.Ordinal));
        var warning = Assert.Single(analysis.Warnings);
        Assert.Equal(("EndpointSlice", "default", "orphan-1"), (warning.Kind, warning.Namespace, warning.Name));
        Assert.Equal("b/greeter.yaml", analysis.SourceOf(warning.Kind, warning.Namespace, warning.Name));
        Assert.Equal("a/copy.yaml", analysis.SourceOf("Service", "default", "greeter"));
        Assert.Null(analysis.SourceOf("Service", "default", "bad"));
    }

    [Fact]
    public void Run_ADirectoryThatCannotBeListed_SaysWhy_AndHoldsNothing()
    {
        var analysis = ConfigAnalysis.Run(Path.Join(_folder.Path, "gone"));

        Assert.False(analysis.Listing.Available);
        Assert.NotNull(analysis.Listing.Error);
        Assert.Empty(analysis.Files);
        Assert.Empty(analysis.Rejected);
    }

    public void Dispose() => _folder.Dispose();
}
