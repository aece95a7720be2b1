using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// A Service's <c>networking.istio.io/exportTo</c> annotation, read as Istio's Kubernetes registry
/// reads it (pilot/pkg/serviceregistry/kube/conversion.go: split on commas, each entry trimmed),
/// with entries that could never name a namespace refused.
/// </summary>
public sealed class ServiceParserTests
{
    [Theory]
    [InlineData("'.'", new[] { "." })]
    [InlineData("'*'", new[] { "*" })]
    [InlineData("'~'", new[] { "~" })]
    [InlineData("'., shared ,istio-system'", new[] { ".", "shared", "istio-system" })]
    [InlineData("'a,a'", new[] { "a" })]
    public void ExportToAnnotation_IsReadIntoTheService(string annotation, string[] expected)
    {
        var service = Read($"{{name: echo, namespace: shop, annotations: {{networking.istio.io/exportTo: {annotation}}}}}");

        Assert.Equal(expected, service.ExportTo);
    }

    [Theory]
    [InlineData("{name: echo}")]
    [InlineData("{name: echo, annotations: {other: x}}")]
    [InlineData("{name: echo, annotations: {networking.istio.io/exportTo: ''}}")]
    [InlineData("{name: echo, annotations: {networking.istio.io/exportTo: ' '}}")]
    public void NoExportToAnnotation_LeavesTheMeshDefault(string metadata)
    {
        Assert.Null(Read(metadata).ExportTo);
    }

    [Theory]
    [InlineData("'a,,b'", "empty entry")]
    [InlineData("'Shop'", "namespace name")]
    [InlineData("'ns/x'", "namespace name")]
    [InlineData("'*.example.com'", "namespace name")]
    [InlineData("[a, b]", "must be a string")]
    [InlineData("{a: b}", "must be a string")]
    public void BadExportToAnnotation_RejectsTheServiceWithTheField(string annotation, string reason)
    {
        var document = Parse($"{{name: echo, annotations: {{networking.istio.io/exportTo: {annotation}}}}}");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal("metadata.annotations[networking.istio.io/exportTo]", rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeExportToAnnotation_IsRejectedByCount()
    {
        var annotation = string.Join(',', Enumerable.Range(0, ServiceParser.MaxExportTo + 1).Select(i => $"ns{i}"));

        var document = Parse($"{{name: echo, annotations: {{networking.istio.io/exportTo: '{annotation}'}}}}");

        Assert.Contains($"at most {ServiceParser.MaxExportTo}", document.Rejection!.Reason, StringComparison.Ordinal);
    }

    private static ParsedDocument Parse(string metadata) =>
        Assert.Single(KubernetesObjectParser.Parse("svc.yaml", $"apiVersion: v1\nkind: Service\nmetadata: {metadata}\nspec: {{ports: [{{port: 80}}]}}\n").Documents);

    private static MeshService Read(string metadata)
    {
        var document = Parse(metadata);
        Assert.True(document.Rejection is null, $"{document.Rejection?.Field}: {document.Rejection?.Reason}");
        return Assert.IsType<MeshService>(document.Value);
    }
}
