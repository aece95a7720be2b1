using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class DocumentSplitterTests
{
    [Theory]
    [InlineData("a: 1\n---\nb: 2\n", new[] { "a: 1\n", "---\nb: 2\n" })]
    [InlineData("---\na: 1\n---\nb: 2", new[] { "---\na: 1\n", "---\nb: 2" })]
    [InlineData("a: 1\r\n---\r\nb: 2\r\n", new[] { "a: 1\r\n", "---\r\nb: 2\r\n" })]
    [InlineData("a: 1\n--- \n---\t# c\n---", new[] { "a: 1\n", "--- \n", "---\t# c\n", "---" })]
    [InlineData("a: 1\n...\n# after\n---\nb: 2\n", new[] { "a: 1\n...\n# after\n", "---\nb: 2\n" })]
    [InlineData("# header\n---\na: 1\n", new[] { "# header\n", "---\na: 1\n" })]
    [InlineData("", new[] { "" })]
    public void Split_AtLinesThatStartWithAMarker_CutsBeforeEach(string text, string[] pieces)
    {
        var split = DocumentSplitter.Split(text);

        Assert.Equal(pieces, split!.Select(r => text[r]));
    }

    [Theory]
    [InlineData("a: |\n  ---\n  x\n")]
    [InlineData("a: 1\n----\nb: 2\n")]
    [InlineData("a: 1\n---x\n")]
    [InlineData("a: 1\n ---\n")]
    [InlineData("a: \"x\n---y\"\n")]
    [InlineData("a: 1\r---\rb: 2\n")]
    [InlineData("a: 1\u2028---\nb: 2\n")]
    public void Split_MarkerThatDoesNotStartALineOrIsNotFollowedByABlank_IsNotCut(string text)
    {
        var split = DocumentSplitter.Split(text);

        Assert.Equal([text], split!.Select(r => text[r]));
    }

    [Theory]
    [InlineData("%YAML 1.2\n---\na: 1\n")]
    [InlineData("a: 1\n...\n%TAG ! tag:x,2000:\n---\nb: 2\n")]
    [InlineData("a: 1\r%YAML 1.2\n")]
    [InlineData("\uFEFF%YAML 1.2\n---\na: 1\n")]
    public void Split_TextWithADirective_IsNotCut(string text)
    {
        Assert.Null(DocumentSplitter.Split(text));
    }

    [Fact]
    public void Split_PercentSignInsideALine_IsNoDirective()
    {
        var text = "a: 100%\n---\nb: \"%x\"\n";

        Assert.Equal(2, DocumentSplitter.Split(text)!.Count);
    }
}
