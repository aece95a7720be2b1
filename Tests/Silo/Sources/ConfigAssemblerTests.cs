using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ConfigAssemblerTests
{
    private static ParsedFile File(string path, string yaml) => KubernetesObjectParser.Parse(path, yaml);

    [Fact]
    public void Assemble_ObjectTurnedInvalid_KeepsItsLastGoodVersion()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Service("echo", 7000))]);

        var config = assembler.Assemble([File("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: [{port: 99999}]}")]);

        Assert.Equal(7000, Assert.Single(config.Services).Ports.Single().Port);
        var rejected = Assert.Single(config.Rejected);
        Assert.True(rejected.KeptLastGood);
        Assert.Equal("spec.ports[0].port", rejected.Field);
    }

    [Fact]
    public void Assemble_FileThatNoLongerParses_KeepsEveryObjectItHad()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Documents(MeshYaml.Service("one", 1), MeshYaml.Service("two", 2)))]);

        var config = assembler.Assemble([File("a.yaml", "{{{ not yaml")]);

        Assert.Equal(["one", "two"], config.Services.Select(s => s.Name));
        Assert.True(Assert.Single(config.Rejected).KeptLastGood);
    }

    [Fact]
    public void Assemble_DeletedFileOrObject_IsRemoved()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Documents(MeshYaml.Service("one", 1), MeshYaml.Service("two", 2))), File("b.yaml", MeshYaml.Service("three", 3))]);

        var config = assembler.Assemble([File("a.yaml", MeshYaml.Service("one", 1))]);

        Assert.Equal(["one"], config.Services.Select(s => s.Name));
        Assert.Empty(config.Rejected);
    }

    [Fact]
    public void Assemble_InvalidNewObject_WithoutLastGood_IsRejectedAndAbsent()
    {
        var config = new ConfigAssembler().Assemble([File("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: []}")]);

        Assert.Empty(config.Services);
        Assert.False(Assert.Single(config.Rejected).KeptLastGood);
    }

    [Fact]
    public void Assemble_DuplicateObjectInAnotherFile_IsRejectedNamingTheFirstFile()
    {
        var config = new ConfigAssembler().Assemble([File("a.yaml", MeshYaml.Service("echo", 1)), File("b.yaml", MeshYaml.Service("echo", 2))]);

        Assert.Equal(1, Assert.Single(config.Services).Ports.Single().Port);
        var rejected = Assert.Single(config.Rejected);
        Assert.Equal("b.yaml", rejected.Source);
        Assert.Contains("a.yaml", rejected.Reason, StringComparison.Ordinal);
    }
}
