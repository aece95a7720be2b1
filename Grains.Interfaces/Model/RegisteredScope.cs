namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A sidecar scope in use, with what decides what its proxies see: their namespace and the
/// Sidecar that applies (null: none, or not known yet), so that a member cluster hands it only
/// the hostnames it may see now or saw until now.
/// </summary>
/// <param name="Scope">The scope's name (<see cref="ScopeNames.SidecarScope"/>).</param>
/// <param name="Namespace">Its proxies' namespace.</param>
/// <param name="Sidecar">The Sidecar that applies, or null.</param>
[GenerateSerializer, Immutable]
public sealed record RegisteredScope(
    [property: Id(0)] string Scope,
    [property: Id(1)] string Namespace,
    [property: Id(2)] SidecarSpec? Sidecar);
