using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Scoping;

/// <summary>
/// How proxies in different namespaces see one hostname's routing and policies, as Istio looks
/// them up per proxy: the VirtualService that routes it (<see cref="ProxyVisibility.VirtualServicesFor"/>)
/// and the DestinationRules that apply (<see cref="ProxyVisibility.DestinationRuleFor"/>) depend on
/// the proxy's namespace and on each object's <c>exportTo</c>, and a match on <c>sourceNamespace</c>
/// holds for the proxies of that namespace only (<see cref="FromSource"/>). Namespaces are grouped by what they
/// get, and only the groups that get something else than the whole mesh are returned, so a
/// hostname is translated once more per distinct view, never once per namespace. Pure.
/// </summary>
/// <remarks>
/// Only namespaces that an object names can differ from one another (its own namespace, those
/// its <c>exportTo</c> lists, those its matches name as source, the service's, the root); every other namespace sees the same, and
/// is represented by one namespace no object can name (<see cref="Others"/>).
/// </remarks>
public static class NamespaceViews
{
    /// <summary>The stand-in for every namespace no object names (a Kubernetes namespace cannot contain <c>~</c>).</summary>
    public const string Others = "~others";

    /// <summary>
    /// The groups of namespaces whose view of <paramref name="host"/> differs from the whole
    /// mesh's (<paramref name="meshVirtualServices"/>, <paramref name="meshRules"/>), each with
    /// the VirtualServices and DestinationRules to translate it with; a group of null namespaces
    /// is every namespace no other group names. Null when every namespace sees what the mesh does.
    /// </summary>
    /// <param name="host">The hostname.</param>
    /// <param name="serviceNamespace">The namespace of the Service or ServiceEntry that declares it, if any.</param>
    /// <param name="meshVirtualServices">The VirtualServices the whole mesh's resources are translated with (bound to the host, and their delegates).</param>
    /// <param name="meshRules">The DestinationRules the whole mesh's resources are translated with.</param>
    /// <param name="candidateRules">Every DestinationRule whose host matches, of any namespace.</param>
    /// <param name="options">The mesh's root namespace and exportTo defaults.</param>
    public static IReadOnlyList<View>? For(
        string host,
        string? serviceNamespace,
        IReadOnlyList<VirtualServiceSpec> meshVirtualServices,
        IReadOnlyList<DestinationRuleSpec> meshRules,
        IReadOnlyList<DestinationRuleSpec> candidateRules,
        MeshScopingOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(meshVirtualServices);
        ArgumentNullException.ThrowIfNull(meshRules);
        ArgumentNullException.ThrowIfNull(candidateRules);
        ArgumentNullException.ThrowIfNull(options);
        if (meshVirtualServices.Count == 0 && meshRules.Count == 0 && candidateRules.Count == 0)
        {
            return null;
        }

        serviceNamespace ??= DestinationRules.NamespaceOf(host);
        var meshKey = Key(meshVirtualServices, meshRules);
        var groups = new Dictionary<string, (List<string> Namespaces, IReadOnlyList<VirtualServiceSpec> VirtualServices, IReadOnlyList<DestinationRuleSpec> Rules)>(StringComparer.Ordinal);
        foreach (var ns in Named(serviceNamespace, meshVirtualServices, candidateRules, options).Append(Others))
        {
            var virtualServices = ProxyVisibility.VirtualServicesFor(host, ns, meshVirtualServices, options);
            var rules = ProxyVisibility.DestinationRuleFor(host, ns, serviceNamespace, candidateRules, options);
            var key = Key(virtualServices, rules);
            if (virtualServices.Any(v => NamesSource(v, ns)))
            {
                // Matches on this namespace as the source apply here: the view is this namespace's alone.
                virtualServices = virtualServices.Select(v => FromSource(v, ns)).ToList();
                key += "\nsource " + ns;
            }
            if (!groups.TryGetValue(key, out var group))
            {
                group = ([], virtualServices, rules);
                groups.Add(key, group);
            }

            group.Namespaces.Add(ns);
        }

        var othersKey = groups.Single(g => g.Value.Namespaces.Contains(Others)).Key;
        if (groups.Count == 1 && othersKey == meshKey)
        {
            return null;
        }

        // The group of the other namespaces is the fallback; the groups that see as the whole mesh
        // are listed only when the fallback does not (they need no translation of their own).
        var views = new List<View>();
        foreach (var (key, group) in groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (key == othersKey)
            {
                views.Add(new View(null, group.VirtualServices, group.Rules, key == meshKey));
            }
            else
            {
                views.Add(new View(group.Namespaces.Order(StringComparer.Ordinal).ToList(), group.VirtualServices, group.Rules, key == meshKey));
            }
        }

        return views;
    }

    /// <summary>
    /// The namespaces any object involved names: the service's, the root, the objects' own, and
    /// those their (or the default) <c>exportTo</c> lists by name, in ordinal order.
    /// </summary>
    private static SortedSet<string> Named(string? serviceNamespace, IReadOnlyList<VirtualServiceSpec> virtualServices, IReadOnlyList<DestinationRuleSpec> rules, MeshScopingOptions options)
    {
        var named = new SortedSet<string>(StringComparer.Ordinal) { options.RootNamespace };
        if (!string.IsNullOrEmpty(serviceNamespace))
        {
            named.Add(serviceNamespace);
        }

        void AddExports(IEnumerable<string>? exportTo)
        {
            foreach (var entry in exportTo ?? [])
            {
                if (entry is not (ProxyVisibility.AnyNamespace or ProxyVisibility.OwnNamespace or ProxyVisibility.None) && entry.Length > 0)
                {
                    named.Add(entry);
                }
            }
        }

        AddExports(options.VirtualServiceExportTo);
        AddExports(options.DestinationRuleExportTo);
        foreach (var virtualService in virtualServices)
        {
            named.Add(virtualService.Namespace);
            AddExports(virtualService.ExportTo);
            named.UnionWith(SourceNamespaces(virtualService));
        }

        foreach (var rule in rules)
        {
            named.Add(rule.Namespace);
            AddExports(rule.ExportTo);
        }

        return named;
    }

    /// <summary>The namespaces <paramref name="virtualService"/>'s matches name as their source (<c>sourceNamespace</c>).</summary>
    private static IEnumerable<string> SourceNamespaces(VirtualServiceSpec virtualService) =>
        virtualService.Http.SelectMany(h => h.Match).Select(m => m.SourceNamespace)
            .Concat((virtualService.Tcp ?? []).SelectMany(t => t.Match).Select(m => m.SourceNamespace))
            .Concat((virtualService.Tls ?? []).SelectMany(t => t.Match).Select(m => m.SourceNamespace))
            .OfType<string>();

    /// <summary>Whether some match of <paramref name="virtualService"/> takes requests from proxies of <paramref name="ns"/> only.</summary>
    private static bool NamesSource(VirtualServiceSpec virtualService, string ns) =>
        SourceNamespaces(virtualService).Contains(ns, StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="virtualService"/> as proxies of <paramref name="ns"/> apply it: a match on
    /// <c>sourceNamespace</c> <paramref name="ns"/> holds for every one of them, so it loses the
    /// condition; a match on another source namespace stays, and is left out by the translator as
    /// in every other view (Istio's <c>sourceNamespace</c>, decided per proxy namespace).
    /// </summary>
    public static VirtualServiceSpec FromSource(VirtualServiceSpec virtualService, string ns)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(ns);
        if (!NamesSource(virtualService, ns))
        {
            return virtualService;
        }

        bool Here(string? source) => string.Equals(source, ns, StringComparison.Ordinal);
        return virtualService with
        {
            Http = virtualService.Http
                .Select(h => h with { Match = h.Match.Select(m => Here(m.SourceNamespace) ? m with { SourceNamespace = null } : m).ToList() })
                .ToList(),
            Tcp = virtualService.Tcp?
                .Select(t => t with { Match = t.Match.Select(m => Here(m.SourceNamespace) ? m with { SourceNamespace = null } : m).ToList() })
                .ToList(),
            Tls = virtualService.Tls?
                .Select(t => t with { Match = t.Match.Select(m => Here(m.SourceNamespace) ? m with { SourceNamespace = null } : m).ToList() })
                .ToList(),
        };
    }

    /// <summary>The identity of a view: the VirtualServices and rules, by namespace and name, in order.</summary>
    private static string Key(IReadOnlyList<VirtualServiceSpec> virtualServices, IReadOnlyList<DestinationRuleSpec> rules) =>
        string.Join('\n', virtualServices.Select(v => "vs " + v.Namespace + "/" + v.Name).Concat(rules.Select(r => "dr " + r.Namespace + "/" + r.Name)));

    /// <summary>
    /// One group of namespaces (null: every namespace no other view names) and what its proxies'
    /// resources for the hostname are translated with; <see cref="AsMesh"/> when that is what the
    /// whole mesh's are, so the mesh's resources serve it.
    /// </summary>
    public sealed record View(
        IReadOnlyList<string>? Namespaces,
        IReadOnlyList<VirtualServiceSpec> VirtualServices,
        IReadOnlyList<DestinationRuleSpec> Rules,
        bool AsMesh);
}
