namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A valid object that refers to something the mesh does not have (as Istio's analyzer
/// reports them): it is served, but part of it does nothing or fails. Kept apart from
/// rejections, which are objects that were refused.
/// </summary>
/// <param name="Kind">The object's kind.</param>
/// <param name="Namespace">The object's namespace.</param>
/// <param name="Name">The object's name.</param>
/// <param name="Field">The field holding the dangling reference (e.g. <c>spec.http[0].route[1].destination.host</c>).</param>
/// <param name="Message">What is missing and what proxies get meanwhile.</param>
[GenerateSerializer, Immutable]
public sealed record ConfigWarning(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Name,
    [property: Id(3)] string Field,
    [property: Id(4)] string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Field}: {Message}";
}
