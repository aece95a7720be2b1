namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>Names of proxy scopes.</summary>
public static class ScopeNames
{
    /// <summary>
    /// The scope of every proxy that no Sidecar resource narrows: it sees the whole mesh.
    /// </summary>
    public const string Default = "default";
}
