using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// The proxy whose generated configuration <see cref="EnvoyFilterPatcher"/> patches: what
/// decides which patches match it, beyond the workload selection that picked the EnvoyFilters.
/// </summary>
/// <param name="Kind">
/// The proxy's kind. A gateway's resources are all in context GATEWAY; a sidecar's are in
/// SIDECAR_INBOUND (<c>virtualInbound</c>, <c>inbound|</c> clusters and route configurations) or
/// SIDECAR_OUTBOUND (the rest). A proxyless client is not patched, as in Istio.
/// </param>
/// <param name="IstioVersion">The proxy's Istio version (node metadata <c>ISTIO_VERSION</c>), which <c>match.proxy.proxyVersion</c> is matched against; null when unknown.</param>
/// <param name="Metadata">The proxy's node metadata as strings, which <c>match.proxy.metadata</c> is matched against.</param>
/// <param name="RootNamespace">The mesh's root namespace, whose EnvoyFilters apply first among those of equal priority.</param>
/// <param name="Side">
/// For a sidecar whose resources are patched in two parts (the outbound side in its scope, the
/// inbound side in its workload's), the part given: only the patches of that context and ANY are
/// taken; an ANY addition is made on the outbound side only (as Istio adds it once); and an ANY
/// patch that matches nothing on one side is not reported, as it may match on the other. Null: the
/// whole proxy at once.
/// </param>
/// <param name="Takes">
/// For a gateway, whose clusters are patched in its namespace's scope and the rest in the scope
/// of its labels, the applyTo kinds of the part given: other patches are left to the other part
/// (which reports them). Null: every kind.
/// </param>
public sealed record PatchContext(
    ProxyKind Kind,
    string? IstioVersion,
    IReadOnlyDictionary<string, string> Metadata,
    string RootNamespace = "istio-system",
    EnvoyFilterContext? Side = null,
    IReadOnlySet<EnvoyFilterApplyTo>? Takes = null)
{
    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();

    /// <summary>
    /// The context of resources shared by every proxy of a scope (a sidecar scope's outbound side,
    /// a workload's inbound side, a gateway's listeners or clusters): no Istio version and no node
    /// metadata, as proxies of any version may share them, so <c>match.proxy</c> matches none.
    /// </summary>
    public static PatchContext Shared(ProxyKind kind, string rootNamespace, EnvoyFilterContext? side = null, IReadOnlySet<EnvoyFilterApplyTo>? takes = null) =>
        new(kind, null, s_noMetadata, rootNamespace, side, takes);

    /// <summary>What a gateway's clusters take: CLUSTER patches.</summary>
    public static readonly IReadOnlySet<EnvoyFilterApplyTo> GatewayClusters = new HashSet<EnvoyFilterApplyTo> { EnvoyFilterApplyTo.Cluster };

    /// <summary>What a gateway's listeners and routes take: every patch but CLUSTER ones.</summary>
    public static readonly IReadOnlySet<EnvoyFilterApplyTo> GatewayListeners = Enum.GetValues<EnvoyFilterApplyTo>().Where(a => a != EnvoyFilterApplyTo.Cluster).ToHashSet();
}
