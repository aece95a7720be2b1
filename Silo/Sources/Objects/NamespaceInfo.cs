namespace Mesh.Orleans.Silo.Sources.Objects;

/// <summary>A <c>v1 Namespace</c>: its labels (Sidecar and exportTo rules select by them).</summary>
public sealed record NamespaceInfo(string Name, IReadOnlyDictionary<string, string> Labels);
