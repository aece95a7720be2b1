namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An input object that was refused, and why. The last good version of it, if any, keeps serving.</summary>
/// <param name="Source">Where it came from: a file path, or a cluster API.</param>
/// <param name="Kind">The object's kind, or empty when it could not be read.</param>
/// <param name="Namespace">The object's namespace, or empty.</param>
/// <param name="Name">The object's name, or a document locator when it has none.</param>
/// <param name="Field">The offending field path (e.g. <c>spec.ports[0].port</c>), or empty for the whole object.</param>
/// <param name="Reason">What is wrong, in words an operator can act on.</param>
/// <param name="KeptLastGood">True when a previous valid version of the object keeps serving.</param>
[GenerateSerializer, Immutable]
public sealed record RejectedObject(
    [property: Id(0)] string Source,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string Name,
    [property: Id(4)] string Field,
    [property: Id(5)] string Reason,
    [property: Id(6)] bool KeptLastGood)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Source}: {Kind} {Namespace}/{Name}: {(Field.Length > 0 ? Field + ": " : string.Empty)}{Reason}";
}
