namespace Mesh.Orleans.Silo.Sources.Objects;

/// <summary>
/// A <c>v1 Node</c>: its topology labels (<c>topology.kubernetes.io/region</c> and
/// <c>/zone</c>), which give an endpoint on the node its locality when its slice names no zone.
/// </summary>
public sealed record NodeInfo(string Name, string? Region, string? Zone);
