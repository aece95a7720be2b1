namespace Mesh.Orleans.Grains;

/// <summary>Names of the grain storage providers the grains use.</summary>
public static class GrainStorage
{
    /// <summary>
    /// The store for mesh state (cluster registries, per-host inputs, scopes). In-memory by
    /// default; a scaled-out deployment points it at a shared store.
    /// </summary>
    public const string Mesh = "mesh";
}
