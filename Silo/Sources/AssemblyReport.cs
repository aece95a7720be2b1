namespace Mesh.Orleans.Silo.Sources;

/// <summary>What a source read beside the objects it hands to the mesh.</summary>
/// <param name="Ignored">Valid objects that do not apply to proxies, each with the reason.</param>
/// <param name="SkippedKinds">Objects of kinds the mesh does not read (Deployments, ConfigMaps...), counted per kind.</param>
/// <param name="ObjectsPerKind">Objects held per kind that the mesh reads (last good versions included).</param>
public sealed record AssemblyReport(
    IReadOnlyList<IgnoredEntry> Ignored,
    IReadOnlyDictionary<string, int> SkippedKinds,
    IReadOnlyDictionary<string, int> ObjectsPerKind)
{
    /// <summary>Nothing read yet.</summary>
    public static AssemblyReport Empty { get; } = new([], new Dictionary<string, int>(), new Dictionary<string, int>());
}
