using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Silo;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Mesh.Orleans.Tests.Silo.Sources.Kubernetes;

public sealed class MemberClustersTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void ReadClustersFile_ValidList_ResolvesKubeconfigsBesideTheFile()
    {
        _dir.Write("east.kubeconfig", "x");
        var file = _dir.Write("clusters.yaml", """
            - id: east
              kubeconfig: east.kubeconfig
              network: net-1
              region: us-east1
              zone: us-east1-b
            - id: local
            """);

        var specs = MemberClusters.ReadClustersFile(file);

        Assert.Equal(
            [
                new MemberClusterSpec("east", Path.Combine(_dir.Path, "east.kubeconfig"), "net-1", "us-east1", "us-east1-b"),
                new MemberClusterSpec("local", null, null, null, null),
            ],
            specs);
    }

    [Theory]
    [InlineData("- kubeconfig: a.kubeconfig\n", "line 1: [0].id: is required")]
    [InlineData("- id: a\n- id: a\n", "line 2: [1].id: 'a' is used by an earlier entry")]
    [InlineData("- id: a\n  kubeconfig: missing.kubeconfig\n", "[0].kubeconfig:")]
    [InlineData("- id: a\n  color: blue\n", "line 2: [0].color: is not a known field")]
    [InlineData("- id: 'a b'\n", "[0].id: 'a b' must be")]
    [InlineData("- id: [a]\n", "[0].id: must be a non-empty string")]
    [InlineData("id: a\n", "must be a YAML list")]
    [InlineData("- id: a\n  zone: [unclosed\n", "not valid YAML")]
    [InlineData("[]\n", "lists no member cluster")]
    [InlineData("- just-a-string\n", "[0]: must be a mapping")]
    public void ReadClustersFile_Malformed_IsRefusedNamingTheLineAndField(string yaml, string expected)
    {
        var file = _dir.Write("clusters.yaml", yaml);

        var error = Assert.Throws<MeshStartupException>(() => MemberClusters.ReadClustersFile(file));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("--clusters " + file, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_NoSourceFlagOutsideAPod_ReadsTheSampleDirectoryOnly()
    {
        var clusters = MemberClusters.From(Configuration([]), () => false);

        Assert.True(clusters.ReadsDirectory);
        Assert.Empty(clusters.Kubernetes);
    }

    [Fact]
    public void From_NoSourceFlagInAPod_ReadsItsOwnClusterInCluster()
    {
        var clusters = MemberClusters.From(Configuration([]), () => true);

        Assert.False(clusters.ReadsDirectory);
        Assert.Equal(new MemberClusterSpec("Kubernetes", null, null, null, null), Assert.Single(clusters.Kubernetes));
    }

    [Fact]
    public void From_Kubeconfig_ReadsThatClusterAsTheClusterId_AndNotTheSamples()
    {
        var kubeconfig = _dir.Write("k.kubeconfig", "x");

        var clusters = MemberClusters.From(Configuration(new() { ["Mesh:Kubernetes:Kubeconfig"] = kubeconfig, ["Mesh:Source:ClusterId"] = "east" }), () => false);

        Assert.False(clusters.ReadsDirectory);
        Assert.Equal(new MemberClusterSpec("east", kubeconfig, null, null, null), Assert.Single(clusters.Kubernetes));
    }

    [Fact]
    public void From_DirectoryAndKubeconfigUnderOneClusterId_IsRefused()
    {
        var kubeconfig = _dir.Write("k.kubeconfig", "x");

        var error = Assert.Throws<MeshStartupException>(() => MemberClusters.From(
            Configuration(new() { ["Mesh:Kubernetes:Kubeconfig"] = kubeconfig, ["Mesh:Source:Directory"] = _dir.Path }), () => false));

        Assert.StartsWith("--cluster-id Kubernetes:", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
