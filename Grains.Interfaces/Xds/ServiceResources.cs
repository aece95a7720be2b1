namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// Every Envoy resource one mesh hostname produces, at one revision of its ServiceGrain.
/// A higher <see cref="Revision"/> always supersedes a lower one, so updates that race
/// through different callers cannot roll a scope back. <see cref="Visibility"/> says which
/// proxies may see the hostname (null: none, as it has no Service or ServiceEntry), and
/// <see cref="PreviousVisibility"/> who could see the revision before, so that a change is handed
/// to exactly the scopes that see the hostname now or saw it until now.
/// </summary>
/// <remarks>
/// <see cref="Resources"/> is the hostname as the whole mesh is served it (scopes without a
/// namespace: proxyless clients without an Istio node id, gateways). Proxies in a namespace may
/// be routed and given policies differently, as Istio looks VirtualServices and DestinationRules
/// up by the proxy's namespace and their <c>exportTo</c>: <see cref="Views"/> holds those
/// resources, one entry per group of namespaces served alike (null: every namespace is served
/// <see cref="Resources"/>); see <see cref="ResourcesFor"/>.
/// </remarks>
[GenerateSerializer, Immutable]
public sealed record ServiceResources(
    [property: Id(0)] string Hostname,
    [property: Id(1)] long Revision,
    [property: Id(2)] IReadOnlyList<XdsResource> Resources,
    [property: Id(3)] Model.ServiceVisibility? Visibility = null,
    [property: Id(4)] Model.ServiceVisibility? PreviousVisibility = null,
    [property: Id(5)] IReadOnlyList<NamespaceView>? Views = null)
{
    /// <summary>
    /// The resources proxies in <paramref name="proxyNamespace"/> are served: those of the view
    /// naming the namespace, else of the view for every other namespace, else <see cref="Resources"/>.
    /// </summary>
    public IReadOnlyList<XdsResource> ResourcesFor(string proxyNamespace)
    {
        ArgumentNullException.ThrowIfNull(proxyNamespace);
        if (Views is null)
        {
            return Resources;
        }

        NamespaceView? others = null;
        foreach (var view in Views)
        {
            if (view.Namespaces is null)
            {
                others = view;
            }
            else if (view.Namespaces.Contains(proxyNamespace, StringComparer.Ordinal))
            {
                return view.Resources;
            }
        }

        return others?.Resources ?? Resources;
    }
}

/// <summary>
/// A hostname's resources as proxies in <see cref="Namespaces"/> are served them (null: every
/// namespace no other view names), where the VirtualServices and DestinationRules that apply to
/// them differ from the whole mesh's.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record NamespaceView(
    [property: Id(0)] IReadOnlyList<string>? Namespaces,
    [property: Id(1)] IReadOnlyList<XdsResource> Resources);
