using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// A Sidecar travels as a Gateway does: YAML (or a Kubernetes object, read by the same parser)
/// to the <see cref="ConfigAssembler"/>, in <see cref="ClusterChanges.Sidecars"/> to the
/// member cluster's <see cref="ClusterIndex"/>, which answers the Sidecars of a namespace; an
/// edit replaces it, an invalid edit keeps the last good one, a deletion removes it.
/// </summary>
public sealed class SidecarFlowTests
{
    private const string Restricted = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: shop}
        spec:
          egress:
          - hosts: ["./*", "istio-system/*"]
        """;

    [Fact]
    public void Sidecar_TravelsFromYamlThroughTheChangesToTheClusterIndex()
    {
        // Arrange
        var assembler = new ConfigAssembler();
        var index = new ClusterIndex();
        assembler.Assemble([File("mesh.yaml", MeshYaml.Documents(MeshYaml.Service("echo", 7000), Restricted))]);

        // Act
        var changes = assembler.TakeChanges(full: true);
        var touched = index.Replace(changes.Upserted);

        // Assert
        var sent = Assert.Single(changes.Sidecars!);
        Assert.Equal(["./*", "istio-system/*"], sent.Egress.Single().Hosts);
        var held = Assert.Single(index.SidecarsIn("shop"));
        Assert.Same(sent, held);
        Assert.Empty(index.SidecarsIn("default"));
        Assert.DoesNotContain(touched, h => h.Contains("shop", StringComparison.Ordinal)); // No hostname's input depends on a Sidecar.
        Assert.DoesNotContain(index.Warnings, w => w.Kind == "Sidecar"); // Its egress hosts apply: nothing to warn of.
    }

    [Fact]
    public void SidecarEditedTurnedInvalidAndDeleted_TheIndexFollows()
    {
        var assembler = new ConfigAssembler();
        var index = new ClusterIndex();
        assembler.Assemble([File("sc.yaml", Restricted)]);
        index.Replace(assembler.TakeChanges(full: true).Upserted);
        var generation = index.SidecarGeneration;

        // Edited: replaced by key.
        assembler.Assemble([File("sc.yaml", Restricted.Replace("istio-system/*", "shared/*", StringComparison.Ordinal))]);
        var edit = assembler.TakeChanges(full: false);
        index.Change(edit.Upserted, edit.Deleted);
        Assert.Equal(["./*", "shared/*"], Assert.Single(index.SidecarsIn("shop")).Egress.Single().Hosts);
        Assert.True(index.SidecarGeneration > generation);

        // Turned invalid: the last good one stays, and nothing is sent.
        var config = assembler.Assemble([File("sc.yaml", Restricted.Replace("\"./*\"", "\"*\"", StringComparison.Ordinal))]);
        var invalid = assembler.TakeChanges(full: false);
        Assert.Empty(invalid.Sidecars!);
        Assert.True(Assert.Single(config.Rejected).KeptLastGood);
        Assert.Equal(["./*", "shared/*"], Assert.Single(config.Sidecars!).Egress.Single().Hosts);

        // Deleted: removed by key.
        assembler.Assemble([]);
        var deletion = assembler.TakeChanges(full: false);
        Assert.Equal(new MeshObjectKey("Sidecar", "shop", "default"), Assert.Single(deletion.Deleted));
        index.Change(deletion.Upserted, deletion.Deleted);
        Assert.Empty(index.SidecarsIn("shop"));
        Assert.DoesNotContain(index.Warnings, w => w.Kind == "Sidecar");
    }

    [Fact]
    public void FullMessage_OfADeclarationWithSidecars_CarriesThem()
    {
        var sidecar = (SidecarSpec)KubernetesObjectParser.Parse("sc.yaml", Restricted).Documents.Single().Value!;
        var config = ClusterConfig.Of([sidecar], []);

        var changes = ClusterChanges.FullOf(config, Guid.NewGuid(), 1);

        Assert.Same(sidecar, Assert.Single(changes.Sidecars!));
        Assert.Equal(1, changes.Count);
        Assert.Contains(sidecar, changes.Upserted);
    }

    private static ParsedFile File(string path, string yaml) => KubernetesObjectParser.Parse(path, yaml);
}
