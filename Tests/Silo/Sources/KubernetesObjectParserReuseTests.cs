using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// <see cref="KubernetesObjectParser.Parse(string, string, ParsedText?, Func{ParsedDocument, ParsedDocument}?)"/>:
/// a re-read takes each unchanged document from the previous read, as the same instance, and
/// gives exactly what the whole-file parse gives.
/// </summary>
public sealed partial class KubernetesObjectParserReuseTests
{
    /// <summary>Documents the random edits draw from, each with numbered versions.</summary>
    private static readonly Func<int, string>[] s_pool =
    [
        v => MeshYaml.Service("a", 7000 + v),
        v => MeshYaml.Service("b", 7000 + v, ns: "shop"),
        v => MeshYaml.Slice("a-1", "a", 17000 + v, [("10.0.0.1", true), ("10.0.0.2", v % 2 == 0)]),
        v => MeshYaml.WeightedSplit("split", "a", 7000, ("a", 100 - v), ("b", v)),
        v => $"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{app: a, v: \"{v}\"}}}}\nstatus: {{podIP: 10.0.0.9}}\n",
        v => $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: script}}\ndata:\n  run.sh: |\n    echo {v}\n    ---\n    ...\n---\n    echo end\n",
        v => $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: script}}\ndata:\n  run.sh: |\n    echo {v}\n    ---\n    ...\n    echo end\n",
        v => $"- a list, not an object {v}\n",
        v => $"just a scalar {v}\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: bad}}\nspec: {{ports: [{{port: {v % 2}}}]}}\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: ended}}\nspec: {{ports: [{{port: {v + 1}}}]}}\n...\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: ended}}\nspec: {{ports: [{{port: {v + 1}}}]}}\n...\n# after the end marker\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: first}}\nspec: {{ports: [{{port: {v + 1}}}]}}\n...\nkind: a bare document after the end marker\n",
        v => $"# only a comment {v}\n",
        v => $"# a comment, then an end marker {v}\n...\n",
        v => v % 2 == 0 ? string.Empty : "\n\n",
        v => $"|\n  a root block scalar {v}\n",
        v => $"|\nroot block scalar at column 0 {v}\n",
        v => $">\nfolded at column 0 {v}\n",
        v => $"\"a quoted\n scalar {v}\"\n",
        v => $"shared: &s [{v}]\nown: *s\n",
        v => $"uses: *s {v}\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: c}}\nspec: {{ports: [{{port: {v + 1}}}]}}\nbad: [unclosed\n",
        v => $"apiVersion: v1\nkind: Service\nmetadata: {{name: deep}}\nx: {new string('[', 60 + v)}{new string(']', 60 + v)}\n",
        v => $"? [key, {v}]\n: value\n",
    ];

    private static readonly string[] s_markers = ["---\n", "--- \n", "---\t# a comment\n", "--- # a comment\n", "...\n---\n", "---\n# between\n"];

    [Fact]
    public void Parse_OneDocumentChanged_ReusesTheInstancesOfTheOthers()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002)), previous: null);
        var after = MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 17001), MeshYaml.Service("c", 7002));

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Same(first.File.Documents[0], second.File.Documents[0]);
        Assert.NotSame(first.File.Documents[1], second.File.Documents[1]);
        Assert.Same(first.File.Documents[2], second.File.Documents[2]);
        Assert.Equal(17001, Assert.IsType<MeshService>(second.File.Documents[1].Value).Ports.Single().Port);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_DocumentsReorderedInsertedAndDeleted_ReusesEveryUnchangedDocument()
    {
        // Each document begins with its own marker: the first document of a file without one
        // has another text than the same document after a marker, and is read again when it moves.
        var first = KubernetesObjectParser.Parse("f.yaml", "---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002)) + "\n", previous: null);
        var after = "---\n" + MeshYaml.Documents(MeshYaml.Service("c", 7002), MeshYaml.Service("new", 7003), MeshYaml.Service("a", 7000)) + "\n";

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Same(first.File.Documents[2], second.File.Documents[0]);
        Assert.Same(first.File.Documents[0], second.File.Documents[2]);
        Assert.DoesNotContain(second.File.Documents[1], first.File.Documents);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_DocumentWithoutANameMoved_IsNamedAfterItsNewPlace()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", "- a list\n---\n" + MeshYaml.Service("a", 7000), previous: null);
        var after = MeshYaml.Service("z", 7001) + "\n---\n- a list\n---\n" + MeshYaml.Service("a", 7000);

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Equal("document 2", second.File.Documents[1].Rejection?.Name);
        Assert.Same(first.File.Documents[1], second.File.Documents[2]);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_ChangeThatMakesADocumentNotYaml_GivesTheWholeFileErrorWithTheLineInTheFile()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002)), previous: null);
        var after = MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002) + "\nbad: [unclosed\n");

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Empty(second.File.Documents);
        Assert.Equal(KubernetesObjectParser.Parse("f.yaml", after).FileError, second.File.FileError);

        // The broken document starts on line 23 of the file; read alone, its error would be on line 12 at most.
        var line = int.Parse(LineNumber().Match(second.File.FileError!).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(line > 22, second.File.FileError);
    }

    [Fact]
    public void Parse_FileFixedAfterAnError_ReusesTheDocumentsReadBeforeIt()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002)), previous: null);
        var broken = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), "c: [unclosed"), first);
        var emptied = KubernetesObjectParser.Parse("f.yaml", string.Empty, broken);
        var fixedText = MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 17002));

        var fixedAgain = KubernetesObjectParser.Parse("f.yaml", fixedText, emptied);

        Assert.NotNull(broken.File.FileError);
        Assert.Same(first.File.Documents[0], fixedAgain.File.Documents[0]);
        Assert.Same(first.File.Documents[1], fixedAgain.File.Documents[1]);
        AssertAsWholeFileParse(fixedText, fixedAgain);
    }

    [Fact]
    public void Parse_RootBlockScalarBeforeAMarker_TakesTheMarkerAsTheWholeFileParseDoes()
    {
        // YamlDotNet reads the "---" lines after a block scalar at a document's root as its content.
        const string Shop = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
        var first = KubernetesObjectParser.Parse("f.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n" + Shop, previous: null);
        var after = "--- |\nroot scalar\n" + Shop;

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Equal("document 1", Assert.Single(second.File.Documents).Rejection?.Name);
        AssertAsWholeFileParse(after, second);
    }

    [Theory]
    [InlineData("...\n")]
    [InlineData("# a header\n...\n")]
    public void Parse_EndMarkerBeforeTheFirstDocument_FailsAsTheWholeFileParseDoes(string head)
    {
        // YamlDotNet ends a stream that opens with "..." and fails on what follows.
        var first = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001)), previous: null);
        var after = head + "---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001));

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.NotNull(second.File.FileError);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_CommentsBeforeTheFirstMarker_AreReadWithTheFirstDocument()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", "# a header\n---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001)), previous: null);
        var after = "# a header\n---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 17001));

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.Same(first.File.Documents[0], second.File.Documents[0]);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_FileWithADirective_IsReadAsAWhole()
    {
        var first = KubernetesObjectParser.Parse("f.yaml", "---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001)), previous: null);
        var after = "%YAML 1.2\n---\n" + MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001));

        var second = KubernetesObjectParser.Parse("f.yaml", after, first);

        Assert.NotSame(first.File.Documents[1], second.File.Documents[1]);
        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_PreviousReadOfAnotherFile_IsNotUsed()
    {
        var text = MeshYaml.Documents(MeshYaml.Service("a", 7000), "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 0}]}");
        var other = KubernetesObjectParser.Parse("a.yaml", text, previous: null);

        var parsed = KubernetesObjectParser.Parse("b.yaml", text, other);

        Assert.NotSame(other.File.Documents[0], parsed.File.Documents[0]);
        Assert.Equal("b.yaml", parsed.File.Documents[1].Rejection?.Source);
        AssertAsWholeFileParse(text, parsed, "b.yaml");
    }

    [Fact]
    public void Parse_Finish_RunsOnlyOnNewDocumentsAndItsResultIsReused()
    {
        var finished = 0;
        ParsedDocument Finish(ParsedDocument document)
        {
            finished++;
            return document with { Key = document.Key is { } key ? key with { Name = key.Name + "-finished" } : null };
        }

        var first = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001), MeshYaml.Service("c", 7002)), null, Finish);

        var second = KubernetesObjectParser.Parse("f.yaml", MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 17001), MeshYaml.Service("c", 7002)), first, Finish);

        Assert.Equal(4, finished);
        Assert.Same(first.File.Documents[0], second.File.Documents[0]);
        Assert.Equal(["a-finished", "b-finished", "c-finished"], second.File.Documents.Select(d => d.Key?.Name));
    }

    [Theory]
    [InlineData("nested deeper than the limit", "nested deeper")]
    [InlineData("an alias bomb as a key", "is an alias")]
    [InlineData("an alias bomb as a value", null)]
    [InlineData("a document of a million characters", null)]
    public async Task Parse_HostileDocumentAddedToAFileReadBefore_IsRejectedAsTheWholeFileParseRejectsIt(string what, string? fileError)
    {
        var good = MeshYaml.Documents(MeshYaml.Service("a", 7000), MeshYaml.Service("b", 7001));
        var head = "apiVersion: v1\nkind: Service\nmetadata: {name: hostile}\n";
        var hostile = what switch
        {
            "nested deeper than the limit" => head + "x: " + new string('[', 100_000) + new string(']', 100_000) + "\n",
            "an alias bomb as a key" => head + AliasBomb(12) + "? *a11\n: x\n",
            "an alias bomb as a value" => head + AliasBomb(12) + "spec: {ports: *a11}\n",
            _ => head + "spec: {ports: [{port: 1, appProtocol: " + new string('a', 1_000_000) + "}]}\n",
        };
        var first = KubernetesObjectParser.Parse("f.yaml", good, previous: null);
        var after = good + "\n---\n" + hostile;

        var second = await Task.Run(() => KubernetesObjectParser.Parse("f.yaml", after, first)).WaitAsync(TimeSpan.FromSeconds(20));

        if (fileError is null)
        {
            Assert.Null(second.File.FileError);
            Assert.Same(first.File.Documents[0], second.File.Documents[0]);
        }
        else
        {
            Assert.Contains(fileError, second.File.FileError, StringComparison.Ordinal);
        }

        AssertAsWholeFileParse(after, second);
    }

    [Fact]
    public void Parse_RandomEditsOfAMultiDocumentFile_EachEqualTheWholeFileParse()
    {
        // Chains of edits (insert, delete, swap, change a document, change a marker, switch to
        // CRLF, drop the last line break, add a leading comment), each read with the read before it.
        var edit = Gen.Select(Gen.Int[0, 7], Gen.Int[0, int.MaxValue - 1], Gen.Int[0, int.MaxValue - 1]);
        var gen = Gen.Select(Gen.Int[0, int.MaxValue - 1].Array[3, 8], edit.Array[10, 30]);
        var failures = new List<string>();
        var reused = 0;
        var chain = 0;

        foreach (var (start, edits) in FuzzCases.Generate(gen, seed: 0x6e5_0020, count: 200))
        {
            var file = new EditedFile(start.Select(n => new EditedDocument(n % s_pool.Length, 0, n % s_markers.Length)).ToList());
            ParsedText? previous = null;
            foreach (var (kind, position, choice) in edits.Prepend((-1, 0, 0)))
            {
                file = kind < 0 ? file : file.Edit(kind, position, choice);
                var text = file.Text();
                var parsed = KubernetesObjectParser.Parse("f.yaml", text, previous);
                if (Structure.Show(parsed.File) != Structure.Show(KubernetesObjectParser.Parse("f.yaml", text)) && failures.Count < 10)
                {
                    failures.Add($"chain {chain} of seed 0x6e50020, after edit {kind}: {FuzzCases.Show(text)}");
                }

                if (previous is not null)
                {
                    var earlier = previous.File.Documents;
                    reused += parsed.File.Documents.Count(d => earlier.Contains(d, ReferenceEqualityComparer.Instance));
                }

                previous = parsed;
            }

            chain++;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} reads differ from the whole-file parse (first 10):\n" + string.Join('\n', failures));
        Assert.True(reused > 1000, $"only {reused} documents were reused");
    }

    private static void AssertAsWholeFileParse(string text, ParsedText parsed, string source = "f.yaml") =>
        Assert.Equal(Structure.Show(KubernetesObjectParser.Parse(source, text)), Structure.Show(parsed.File));

    private static string AliasBomb(int levels)
    {
        var yaml = new StringBuilder("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < levels; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"x{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        }

        return yaml.ToString();
    }

    [GeneratedRegex(@"line (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex LineNumber();

    /// <summary>One document of an <see cref="EditedFile"/>: which of the pool, which version, and the marker before it.</summary>
    private sealed record EditedDocument(int Pool, int Version, int Marker);

    /// <summary>A multi-document file as a list of documents and how it is written out.</summary>
    private sealed record EditedFile(IReadOnlyList<EditedDocument> Documents, bool Crlf = false, bool NoFinalBreak = false, bool Header = false, bool FirstMarker = false)
    {
        public string Text()
        {
            var text = new StringBuilder(Header ? "# a header comment\n" : string.Empty);
            for (var i = 0; i < Documents.Count; i++)
            {
                var document = Documents[i];
                if (i > 0 || FirstMarker)
                {
                    text.Append(s_markers[document.Marker]);
                }

                var body = s_pool[document.Pool](document.Version);
                text.Append(body);
                if (body.Length > 0 && !body.EndsWith('\n'))
                {
                    text.Append('\n');
                }
            }

            var written = text.ToString();
            written = NoFinalBreak ? written.TrimEnd('\n') : written;
            return Crlf ? written.Replace("\n", "\r\n", StringComparison.Ordinal) : written;
        }

        public EditedFile Edit(int kind, int position, int choice)
        {
            var documents = Documents.ToList();
            var at = documents.Count == 0 ? 0 : position % documents.Count;
            switch (kind)
            {
                case 0:
                    documents.Insert(position % (documents.Count + 1), new EditedDocument(choice % s_pool.Length, 0, choice % s_markers.Length));
                    break;
                case 1 when documents.Count > 0:
                    documents.RemoveAt(at);
                    break;
                case 2 when documents.Count > 0:
                    var other = choice % documents.Count;
                    (documents[at], documents[other]) = (documents[other], documents[at]);
                    break;
                case 3 when documents.Count > 0:
                    documents[at] = documents[at] with { Version = documents[at].Version + 1 + (choice % 3) };
                    break;
                case 4 when documents.Count > 0:
                    documents[at] = documents[at] with { Marker = choice % s_markers.Length };
                    break;
                case 5:
                    return this with { Crlf = !Crlf };
                case 6:
                    return this with { NoFinalBreak = !NoFinalBreak };
                case 7:
                    return choice % 2 == 0 ? this with { Header = !Header } : this with { FirstMarker = !FirstMarker };
            }

            return this with { Documents = documents };
        }
    }
}
