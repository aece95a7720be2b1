namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// A valid object that does not apply to the mesh's proxies. A <see cref="Quiet"/> one is of a
/// kind the mesh does not read at all (a Deployment, a ConfigMap): counted per kind, not listed.
/// Any other is listed with its <see cref="Reason"/> (a VirtualService bound only to gateways).
/// </summary>
public sealed record IgnoredObject(string Reason)
{
    /// <summary>True for a kind the mesh does not read: counted, never listed or logged.</summary>
    public bool Quiet { get; init; }
}
