namespace Mesh.Orleans.Silo.Sources;

/// <summary>A valid object that applies to nothing, where it came from, and why.</summary>
public sealed record IgnoredEntry(string Source, string Kind, string Namespace, string Name, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Source}: {Kind} {Namespace}/{Name}: {Reason}";
}
