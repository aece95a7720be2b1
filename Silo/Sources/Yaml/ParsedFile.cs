namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// The result of reading one file: its documents, or, when the file as a whole cannot be
/// read (not YAML, too large, too deep), <see cref="FileError"/>.
/// </summary>
public sealed record ParsedFile(string Path, string? FileError, IReadOnlyList<ParsedDocument> Documents);
