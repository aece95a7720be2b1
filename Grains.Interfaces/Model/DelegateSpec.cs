namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>Delegate</c>: the VirtualService (without hosts) whose HTTP routes this route hands over to.</summary>
/// <param name="Name">The delegate VirtualService's name.</param>
/// <param name="Namespace">Its namespace; the root VirtualService's when not written.</param>
[GenerateSerializer, Immutable]
public sealed record DelegateSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] string Namespace);
