using System.ComponentModel.DataAnnotations;
using Mesh.Orleans.Grains;
using Microsoft.Extensions.Configuration;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// The mesh-wide scoping settings: Istio's defaults (root namespace <c>istio-system</c>, every
/// default exportTo <c>*</c>), lists bound from indexed keys without keeping the default, and
/// entries validated as exportTo entries.
/// </summary>
public sealed class MeshScopingOptionsTests
{
    [Fact]
    public void Defaults_AreIstios()
    {
        var options = new MeshScopingOptions();

        Assert.Equal("istio-system", options.RootNamespace);
        Assert.Equal(["*"], options.ServiceExportTo);
        Assert.Equal(["*"], options.VirtualServiceExportTo);
        Assert.Equal(["*"], options.DestinationRuleExportTo);
        Assert.Empty(Validate(options));
    }

    [Fact]
    public void Lists_BindFromIndexedKeys_InsteadOfTheDefault()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mesh:Scoping:RootNamespace"] = "mesh-root",
            ["Mesh:Scoping:DefaultServiceExportTo:0"] = ".",
            ["Mesh:Scoping:DefaultServiceExportTo:1"] = "shared",
        }).Build();

        var options = configuration.GetSection(MeshScopingOptions.Section).Get<MeshScopingOptions>()!;

        Assert.Equal("mesh-root", options.RootNamespace);
        Assert.Equal([".", "shared"], options.ServiceExportTo);
        Assert.Equal(["*"], options.VirtualServiceExportTo);
        Assert.Empty(Validate(options));
    }

    [Theory]
    [InlineData(new[] { "Shop" }, "entry 0 'Shop'")]
    [InlineData(new[] { "" }, "entry 0 ''")]
    [InlineData(new[] { ".", "-bad" }, "entry 1 '-bad'")]
    [InlineData(new[] { "*", "shop" }, "'*' must stand alone")]
    [InlineData(new[] { "shop", "~" }, "'~' must stand alone")]
    public void BadExportToEntry_IsReportedForItsList(string[] entries, string message)
    {
        var options = new MeshScopingOptions { DefaultDestinationRuleExportTo = [.. entries] };

        var result = Assert.Single(Validate(options));

        Assert.Equal([nameof(MeshScopingOptions.DefaultDestinationRuleExportTo)], result.MemberNames);
        Assert.Contains(message, result.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Istio-System")]
    [InlineData("a.b")]
    public void BadRootNamespace_IsReported(string root)
    {
        var result = Assert.Single(Validate(new MeshScopingOptions { RootNamespace = root }));

        Assert.Equal([nameof(MeshScopingOptions.RootNamespace)], result.MemberNames);
    }

    private static List<ValidationResult> Validate(MeshScopingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
