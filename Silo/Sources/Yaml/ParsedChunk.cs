namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// What one piece of a file's text (see <see cref="DocumentSplitter"/>) was read as.
/// </summary>
/// <param name="StreamDocuments">
/// How many YAML documents the piece holds, counting empty ones, which yield no
/// <see cref="ParsedDocument"/> but still count in the "document N" of the documents after them.
/// </param>
/// <param name="Documents">The documents read from it, as the caller finished them.</param>
internal sealed record ParsedChunk(int StreamDocuments, IReadOnlyList<ParsedDocument> Documents)
{
    /// <summary>
    /// Whether another read of the same file may take these documents as they are, wherever the
    /// piece now stands. Not when one is a rejection without a key: it is named after its place
    /// in the file ("document 3"), which moves when a document before it is added or removed.
    /// </summary>
    public bool Reusable => Documents.All(d => d.Key is not null || d.Rejection is null);
}
