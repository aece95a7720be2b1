using System.Text;

namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// A DestinationRule's <c>loadBalancer.localityLbSetting</c> as it bears on one cluster's
/// ClusterLoadAssignment: whether locality failover applies at all, and which region a proxy in a
/// given region fails over to first. It travels with the assignment (<see cref="XdsResource.LocalityLb"/>)
/// to the frontend, which builds the per-locality priorities (<see cref="LocalityPriorities"/>).
/// </summary>
/// <param name="Enabled">False turns locality priorities off: every proxy sees one priority, as a proxy without a locality does.</param>
/// <param name="Failover">
/// Region failover, in the rule's order: a proxy in <see cref="RegionFailover.From"/> prefers the
/// localities of <see cref="RegionFailover.To"/> right after its own region's. Only the first entry
/// for a region counts, as in Istio. Empty when <paramref name="Enabled"/> is false.
/// </param>
[GenerateSerializer, Immutable]
public sealed record LocalityLbPolicy(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] IReadOnlyList<RegionFailover> Failover)
{
    /// <summary>Locality priorities turned off (<c>enabled: false</c>).</summary>
    public static LocalityLbPolicy Disabled { get; } = new(false, new List<RegionFailover>());

    /// <summary>
    /// The policy for a rule's setting, or null when it is the default behaviour (enabled, no
    /// failover), so that assignments without a setting stay exactly as they were.
    /// </summary>
    /// <param name="enabled">The rule's <c>enabled</c>, or null when it is not set (enabled, as in Istio).</param>
    /// <param name="failover">The rule's <c>failover</c> entries, in order.</param>
    public static LocalityLbPolicy? Of(bool? enabled, IEnumerable<RegionFailover>? failover)
    {
        if (enabled is false)
        {
            return Disabled;
        }

        // Only the first entry for a region counts (Istio stops at it), so later ones are dropped.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = (failover ?? []).Where(f => seen.Add(f.From)).ToList();
        return entries.Count == 0 ? null : new LocalityLbPolicy(true, entries);
    }

    /// <summary>The region a proxy in <paramref name="region"/> fails over to first, or null.</summary>
    public string? FailoverFor(string region)
    {
        foreach (var entry in Failover)
        {
            if (string.Equals(entry.From, region, StringComparison.Ordinal))
            {
                return entry.To;
            }
        }

        return null;
    }

    /// <summary>
    /// A canonical text of the policy (<c>off</c>, or <c>failover</c> and each entry's regions,
    /// length-prefixed so no two policies read alike): what the resource's content-hash version
    /// takes in besides the payload, so a changed setting is a new version even when the
    /// endpoints are the same.
    /// </summary>
    public string Canonical =>
        Enabled ? "failover" + string.Concat(Failover.Select(f => $";{f.From.Length}:{f.From}>{f.To.Length}:{f.To}")) : "off";

    /// <summary>
    /// The version of an assignment whose bytes are <paramref name="payload"/> under
    /// <paramref name="policy"/>: the plain content hash without a policy, else the hash of the
    /// payload followed by the policy's <see cref="Canonical"/> text.
    /// </summary>
    public static string VersionOf(byte[] payload, LocalityLbPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (policy is null)
        {
            return ResourceVersion.Of(payload);
        }

        var suffix = Encoding.UTF8.GetBytes("\0locality-lb:" + policy.Canonical);
        var bytes = new byte[payload.Length + suffix.Length];
        payload.CopyTo(bytes, 0);
        suffix.CopyTo(bytes, payload.Length);
        return ResourceVersion.Of(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(LocalityLbPolicy? other) =>
        other is not null && Enabled == other.Enabled && Failover.SequenceEqual(other.Failover);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Enabled, Failover.Count);
}

/// <summary>One <c>localityLbSetting.failover</c> entry: a proxy in region <paramref name="From"/> fails over to region <paramref name="To"/> first.</summary>
/// <param name="From">The proxy's region.</param>
/// <param name="To">The region whose localities come right after the proxy's own region's.</param>
[GenerateSerializer, Immutable]
public sealed record RegionFailover(
    [property: Id(0)] string From,
    [property: Id(1)] string To);
