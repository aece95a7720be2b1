namespace Mesh.Orleans.Silo.Sources.Objects;

/// <summary>A <c>v1 Pod</c>, reduced to what the mesh needs for subsets and workload identity.</summary>
/// <param name="Namespace">The pod's namespace.</param>
/// <param name="Name">The pod's name.</param>
/// <param name="Labels">Its labels (DestinationRule subsets select by them).</param>
/// <param name="Ip">Its IP (<c>status.podIP</c>), or null before it has one.</param>
/// <param name="NodeName">The node it runs on, or null before it is scheduled.</param>
/// <param name="Phase">Its phase (<c>Pending</c>, <c>Running</c>, ...).</param>
/// <param name="Ready">Whether its <c>Ready</c> condition is true.</param>
public sealed record PodInfo(string Namespace, string Name, IReadOnlyDictionary<string, string> Labels, string? Ip, string? NodeName, string Phase, bool Ready, string? ServiceAccount = null);
