namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// The parse of one file's text, with what the parse of the same file's next text needs to
/// recognise the documents that did not change: the text of each document and what it was read
/// as. Pass it to <see cref="KubernetesObjectParser.Parse(string, string, ParsedText?, Func{ParsedDocument, ParsedDocument}?)"/>.
/// </summary>
public sealed class ParsedText
{
    internal ParsedText(ParsedFile file, Dictionary<string, ParsedChunk> chunks)
    {
        File = file;
        Chunks = chunks;
    }

    /// <summary>The file as read: its documents, or the reason it could not be read as a whole.</summary>
    public ParsedFile File { get; }

    /// <summary>
    /// Document texts, compared ordinally, and what each was read as. Never changed once built:
    /// the next parse builds its own.
    /// </summary>
    internal Dictionary<string, ParsedChunk> Chunks { get; }
}
