namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// Every Envoy resource one mesh hostname produces, at one revision of its ServiceGrain.
/// A higher <see cref="Revision"/> always supersedes a lower one, so updates that race
/// through different callers cannot roll a scope back. <see cref="Visibility"/> says which
/// proxies may see the hostname (null: none, as it has no Service or ServiceEntry), and
/// <see cref="PreviousVisibility"/> who could see the revision before, so that a change is handed
/// to exactly the scopes that see the hostname now or saw it until now.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ServiceResources(
    [property: Id(0)] string Hostname,
    [property: Id(1)] long Revision,
    [property: Id(2)] IReadOnlyList<XdsResource> Resources,
    [property: Id(3)] Model.ServiceVisibility? Visibility = null,
    [property: Id(4)] Model.ServiceVisibility? PreviousVisibility = null);
