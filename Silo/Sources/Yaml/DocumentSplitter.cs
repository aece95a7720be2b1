namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Cuts the text of a YAML stream, without parsing it, into pieces that each begin where a
/// document begins, so that a re-read can recognise an unchanged document by its text.
/// </summary>
/// <remarks>
/// A line that starts with <c>---</c> followed by a space, a tab, a line break or the end of the
/// text is a document start marker wherever it stands: YAML 1.2 (section 9.1.4, "Document
/// Markers", <c>c-forbidden</c>) lets no scalar contain such a line. A piece is cut just before
/// each one. Only <c>\n</c> is taken as a line break here, though YamlDotNet also breaks lines at
/// a lone <c>\r</c>, U+0085, U+2028 and U+2029: a marker missed that way leaves two documents
/// in one piece, which the parser reads there exactly as it would in the whole stream. The end
/// marker <c>...</c> stays at the end of the piece it closes, with whatever follows it up to the
/// next <c>---</c> (comments, or a bare document, which the parser counts the same way alone or in
/// the whole stream). YamlDotNet breaks the YAML rule in one place: a block scalar that is a
/// document's root takes a <c>---</c> line as content; the parser checks for that itself (see
/// <see cref="KubernetesObjectParser"/>), since it cannot be seen without parsing.
/// </remarks>
internal static class DocumentSplitter
{
    private const string MarkerAfterBreak = "\n---";

    /// <summary>
    /// The pieces of <paramref name="text"/>, in order, covering all of it; the first holds what
    /// comes before the first marker (possibly nothing). Null when the text holds a directive
    /// (<c>%YAML</c>, <c>%TAG</c>): a directive changes how the document after it is read, so a
    /// piece could not be read on its own as it is in the stream.
    /// </summary>
    public static List<Range>? Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (HasDirective(text))
        {
            return null;
        }

        var pieces = new List<Range>();
        var start = 0;
        for (var at = text.IndexOf(MarkerAfterBreak, StringComparison.Ordinal); at >= 0; at = text.IndexOf(MarkerAfterBreak, at + 1, StringComparison.Ordinal))
        {
            var line = at + 1;
            if (EndsMarker(text, line + 3))
            {
                pieces.Add(start..line);
                start = line;
            }
        }

        pieces.Add(start..text.Length);
        return pieces;
    }

    /// <summary>Whether the character at <paramref name="index"/> (just after <c>---</c>) ends a marker: blank, line break or end of text.</summary>
    private static bool EndsMarker(string text, int index) =>
        index == text.Length || text[index] is ' ' or '\t' or '\r' or '\n';

    /// <summary>
    /// Whether a <c>%</c> starts a line, counting every line break YamlDotNet knows and a byte
    /// order mark before it: a few false alarms cost only a whole-file parse.
    /// </summary>
    private static bool HasDirective(string text)
    {
        for (var at = text.IndexOf('%'); at >= 0; at = text.IndexOf('%', at + 1))
        {
            if (at == 0 || text[at - 1] is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029' or '\uFEFF')
            {
                return true;
            }
        }

        return false;
    }
}
