using System.Diagnostics.CodeAnalysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

public static partial class KubernetesObjectParser
{
    /// <summary>
    /// Parses <paramref name="text"/>, the new content of <paramref name="source"/>, taking from
    /// <paramref name="previous"/> (an earlier parse of the same source) every document whose
    /// text it has seen: that document is neither parsed nor validated again, and the result
    /// holds the very <see cref="ParsedDocument"/> instance read then. Only new or changed
    /// documents are parsed, each on its own. For every text, the result's
    /// <see cref="ParsedText.File"/> equals <see cref="Parse(string, string)"/> of the same text
    /// with <paramref name="finish"/> applied to each document.
    /// </summary>
    /// <remarks>
    /// A piece is a document with the marker line that opens it, so the first document of a file
    /// that has no marker before it has another text than the same document after a marker.
    /// Not reused: a rejection without a key (named after its place, "document 3"); anything in
    /// a text with a directive (<c>%YAML</c>), which is parsed as a whole. Two documents of one
    /// text that are the same text share one instance. When a changed piece is not YAML the mesh
    /// reads, the whole text is parsed, so that the error is the whole-file parse's, line numbers
    /// and all.
    /// </remarks>
    /// <param name="source">Where the text was read from; a <paramref name="previous"/> of another source is not used.</param>
    /// <param name="text">The whole content of the file.</param>
    /// <param name="previous">The last parse of this source, or null to parse every document.</param>
    /// <param name="finish">
    /// Applied once to each document parsed anew (the YAML source stamps an EndpointSlice with
    /// its member cluster); its result is what is kept and reused, so a reused document keeps its
    /// finished instance. It must be a pure function, the same for every parse of one source.
    /// </param>
    public static ParsedText Parse(string source, string text, ParsedText? previous, Func<ParsedDocument, ParsedDocument>? finish = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(text);

        var known = previous is not null && previous.File.Path == source ? previous.Chunks : null;
        finish ??= static document => document;
        var pieces = DocumentSplitter.Split(text);
        return (pieces is null ? null : ParsePieces(source, text, pieces, known, finish))
            ?? ParseWhole(source, text, known, finish);
    }

    /// <summary>
    /// Reads each piece of the text that <paramref name="known"/> does not hold; null when one
    /// cannot be read on its own as it would be in the whole stream (not YAML, or a root block
    /// scalar that could take the next marker as content), so that the whole text is parsed and
    /// the error names the line in the file.
    /// </summary>
    private static ParsedText? ParsePieces(string source, string text, List<Range> pieces, Dictionary<string, ParsedChunk>? known, Func<ParsedDocument, ParsedDocument> finish)
    {
        var chunks = new Dictionary<string, ParsedChunk>(StringComparer.Ordinal);
        var documents = new List<ParsedDocument>(pieces.Count);
        var index = 0;
        for (var i = 0; i < pieces.Count; i++)
        {
            var piece = pieces[i];
            var span = text.AsSpan(piece);

            // A piece seen earlier in this text (ten thousand empty documents) is read once.
            if (!Find(chunks, span, out var pieceText, out var chunk) && !Find(known, span, out pieceText, out chunk))
            {
                pieceText = text[piece];
                chunk = ReadPiece(source, pieceText, index, finish);
                if (chunk is null)
                {
                    return null;
                }
            }

            if (i == 0 && chunk.StreamDocuments == 0 && pieces.Count > 1)
            {
                // Comments, or an end marker, before the first "---". YamlDotNet ends a stream
                // that opens with "..." and fails on anything after it, which this piece read
                // alone would not show: it is read with the next piece, as in the stream.
                pieces[1] = piece.Start..pieces[1].End;
                continue;
            }

            documents.AddRange(chunk.Documents);
            index += chunk.StreamDocuments;
            if (chunk.Reusable)
            {
                chunks.TryAdd(pieceText, chunk);
            }
        }

        return new ParsedText(new ParsedFile(source, null, documents), Carried(documents.Count == 0, chunks, known));
    }

    /// <summary>The whole-file parse, for a text that cannot be read piece by piece.</summary>
    private static ParsedText ParseWhole(string source, string text, Dictionary<string, ParsedChunk>? known, Func<ParsedDocument, ParsedDocument> finish)
    {
        var file = Parse(source, text);
        var finished = file.Documents.Count == 0 ? file : file with { Documents = file.Documents.Select(finish).ToList() };
        return new ParsedText(finished, Carried(finished.Documents.Count == 0, [], known));
    }

    /// <summary>
    /// What the next parse may reuse: the pieces of this text, or, when it held no document (it
    /// could not be read, or was empty while an editor rewrote it), those the previous parse
    /// left, so that the file written again finds its unchanged documents.
    /// </summary>
    private static Dictionary<string, ParsedChunk> Carried(bool noDocument, Dictionary<string, ParsedChunk> chunks, Dictionary<string, ParsedChunk>? known) =>
        noDocument && known is not null ? known : chunks;

    private static bool Find(Dictionary<string, ParsedChunk>? chunks, ReadOnlySpan<char> text, [NotNullWhen(true)] out string? key, [NotNullWhen(true)] out ParsedChunk? chunk)
    {
        key = null;
        chunk = null;
        return chunks is not null && chunks.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out key, out chunk);
    }

    /// <summary>
    /// Reads one piece as a stream of its own whose first document is document
    /// <paramref name="firstIndex"/> of the file; null when that would not read it as the whole
    /// stream does.
    /// </summary>
    private static ParsedChunk? ReadPiece(string source, string text, int firstIndex, Func<ParsedDocument, ParsedDocument> finish)
    {
        var (stream, _) = Load(text);

        // YamlDotNet reads a "---" line at column 0 as content of a block scalar that is a
        // document's root, against YAML 1.2's c-forbidden: in the whole stream, such a scalar may
        // run on into the pieces after it.
        if (stream is null || stream.Documents.Any(d => d.RootNode is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded }))
        {
            return null;
        }

        return new ParsedChunk(stream.Documents.Count, ReadDocuments(source, stream, firstIndex).Select(finish).ToList());
    }
}
