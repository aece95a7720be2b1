namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>An object failed validation at <see cref="Field"/>.</summary>
public sealed class InvalidFieldException(string field, string reason) : Exception($"{field}: {reason}")
{
    /// <summary>The offending field path, e.g. <c>spec.ports[0].port</c>.</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; } = reason;
}
