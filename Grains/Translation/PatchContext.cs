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
public sealed record PatchContext(
    ProxyKind Kind,
    string? IstioVersion,
    IReadOnlyDictionary<string, string> Metadata,
    string RootNamespace = "istio-system",
    EnvoyFilterContext? Side = null);
