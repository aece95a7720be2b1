namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A PeerAuthentication's mutual TLS mode (Istio's <c>PeerAuthentication.MutualTLS.Mode</c>).</summary>
public enum MtlsMode
{
    /// <summary>Inherits the mode of the scope above (mesh, namespace, workload); PERMISSIVE at the top.</summary>
    Unset,

    /// <summary>Plaintext only: no TLS chain is served.</summary>
    Disable,

    /// <summary>Mutual TLS and plaintext are both accepted.</summary>
    Permissive,

    /// <summary>Mutual TLS only: plaintext matches no filter chain and is refused.</summary>
    Strict,
}

/// <summary>
/// An Istio <c>PeerAuthentication</c> (security.istio.io v1, v1beta1): the mutual TLS mode of the
/// workloads it applies to. Without a selector it applies to its namespace, or to the whole mesh
/// in the root namespace; with one, to the namespace's workloads whose labels include it, and
/// then <paramref name="PortLevelMtls"/> may set a mode per workload (target) port.
/// </summary>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
/// <param name="Selector">Its <c>selector.matchLabels</c>, or null for namespace- or mesh-wide.</param>
/// <param name="Mode">Its <c>mtls.mode</c> (<see cref="MtlsMode.Unset"/> when absent).</param>
/// <param name="PortLevelMtls">Its <c>portLevelMtls</c>: a mode per workload port.</param>
/// <param name="CreationTimestamp">When it was created: of two of one scope, the older applies, as in Istio.</param>
[GenerateSerializer, Immutable]
public sealed record PeerAuthenticationSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string>? Selector,
    [property: Id(3)] MtlsMode Mode,
    [property: Id(4)] IReadOnlyDictionary<int, MtlsMode> PortLevelMtls,
    [property: Id(5)] DateTimeOffset? CreationTimestamp = null)
{
    /// <summary>Equal when every field is (the maps by content).</summary>
    public bool Equals(PeerAuthenticationSpec? other) =>
        other is not null && Namespace == other.Namespace && Name == other.Name && Mode == other.Mode && CreationTimestamp == other.CreationTimestamp
        && SameMap(Selector, other.Selector) && SameMap(PortLevelMtls, other.PortLevelMtls);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Namespace, Name, Mode, Selector?.Count, PortLevelMtls.Count);

    private static bool SameMap<TKey, TValue>(IReadOnlyDictionary<TKey, TValue>? a, IReadOnlyDictionary<TKey, TValue>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && EqualityComparer<TValue>.Default.Equals(v, p.Value)));
}
