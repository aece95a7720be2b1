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
/// <param name="Distribute">
/// Locality weights (<c>distribute</c>), in the rule's order; Istio applies them instead of
/// failover priorities, and never both (see <see cref="LocalityPriorities"/>). Null or empty: none.
/// </param>
[GenerateSerializer, Immutable]
public sealed record LocalityLbPolicy(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] IReadOnlyList<RegionFailover> Failover,
    [property: Id(2)] IReadOnlyList<LocalityDistribute>? Distribute = null)
{
    /// <summary>Locality priorities turned off (<c>enabled: false</c>).</summary>
    public static LocalityLbPolicy Disabled { get; } = new(false, new List<RegionFailover>());

    /// <summary>
    /// The policy for a rule's setting, or null when it is the default behaviour (enabled, no
    /// failover), so that assignments without a setting stay exactly as they were.
    /// </summary>
    /// <param name="enabled">The rule's <c>enabled</c>, or null when it is not set (enabled, as in Istio).</param>
    /// <param name="failover">The rule's <c>failover</c> entries, in order.</param>
    /// <param name="distribute">The rule's <c>distribute</c> entries, in order.</param>
    public static LocalityLbPolicy? Of(bool? enabled, IEnumerable<RegionFailover>? failover, IEnumerable<LocalityDistribute>? distribute = null)
    {
        if (enabled is false)
        {
            return Disabled;
        }

        var weights = (distribute ?? []).ToList();
        if (weights.Count > 0)
        {
            return new LocalityLbPolicy(true, new List<RegionFailover>(), weights);
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
        !Enabled ? "off"
        : Distribute is { Count: > 0 } weights ? "distribute" + string.Concat(weights.Select(d => $";{d.From.Length}:{d.From}>" + string.Concat(d.To.Select(t => $"{t.Locality.Length}:{t.Locality}={t.Weight},"))))
        : "failover" + string.Concat(Failover.Select(f => $";{f.From.Length}:{f.From}>{f.To.Length}:{f.To}"));

    /// <summary>True when the policy distributes traffic by locality weights.</summary>
    public bool Distributes => Enabled && Distribute is { Count: > 0 };

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
        other is not null && Enabled == other.Enabled && Failover.SequenceEqual(other.Failover)
        && (Distribute ?? []).Count == (other.Distribute ?? []).Count
        && (Distribute ?? []).Zip(other.Distribute ?? []).All(p => p.First.From == p.Second.From && p.First.To.SequenceEqual(p.Second.To));

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

/// <summary>
/// One <c>localityLbSetting.distribute</c> entry: a proxy whose locality matches
/// <paramref name="From"/> sends each share of its traffic to the localities matching a key of
/// <paramref name="To"/> (<c>region</c>, <c>region/zone</c> or <c>region/zone/subzone</c>, <c>*</c>
/// allowed as the last part).
/// </summary>
/// <param name="From">The proxy localities the entry is for.</param>
/// <param name="To">The localities and their weights (1-100, summing to 100), in the rule's order.</param>
[GenerateSerializer, Immutable]
public sealed record LocalityDistribute(
    [property: Id(0)] string From,
    [property: Id(1)] IReadOnlyList<LocalityWeight> To);

/// <summary>One locality of a <see cref="LocalityDistribute"/> entry and its weight.</summary>
/// <param name="Locality">The locality pattern.</param>
/// <param name="Weight">Its share, 1-100.</param>
[GenerateSerializer, Immutable]
public sealed record LocalityWeight(
    [property: Id(0)] string Locality,
    [property: Id(1)] uint Weight);
