namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>An object's identity: kind, namespace and name.</summary>
public readonly record struct ObjectKey(string Kind, string Namespace, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}
