using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class YamlSourceOptionsTests
{
    [Fact]
    public void DefaultDirectory_RunFromACheckout_IsTheCheckoutsOwnSamples()
    {
        using var repo = new TempDirectory();
        repo.Write("Mesh.Orleans.sln", string.Empty);
        var samples = repo.Folder("samples");
        var silo = repo.Folder("Silo");

        Assert.Equal(samples, YamlSourceOptions.DefaultDirectory(repo.Path));
        Assert.Equal(samples, YamlSourceOptions.DefaultDirectory(silo));
    }

    [Fact]
    public void DefaultDirectory_RunFromElsewhere_IsTheCopyBesideTheExecutable()
    {
        using var elsewhere = new TempDirectory();

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "samples"), YamlSourceOptions.DefaultDirectory(elsewhere.Path));
    }
}
