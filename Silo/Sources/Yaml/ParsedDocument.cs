using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// One YAML document: a valid object (<see cref="Value"/> set), or a rejection. A rejected
/// document whose kind, namespace and name could be read still has a <see cref="Key"/>, so
/// its last good version can keep serving.
/// </summary>
public sealed record ParsedDocument(ObjectKey? Key, object? Value, RejectedObject? Rejection);
