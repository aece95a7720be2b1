using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;

namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// Locality failover: the priorities of a ClusterLoadAssignment as a proxy in a given locality
/// should see them. Pure, and shared by whoever builds the variants (the frontend's cache), so
/// it lives beside <see cref="ResourceVersion"/> rather than in the grains' translation code,
/// which the frontend does not reference.
/// </summary>
/// <remarks>
/// Follows Istio's locality failover ("Locality failover",
/// https://istio.io/latest/docs/tasks/traffic-management/locality-load-balancing/failover/):
/// the closer a locality is to the proxy's own, the higher (numerically lower) its priority,
/// with localities compared hierarchically by plain equality of region, then zone. Of Istio's
/// levels this keeps four: region and zone match (0), region matches (1), the region a
/// DestinationRule's <c>localityLbSetting.failover</c> names for the proxy's region (2), anything
/// else (3); sub-zones are not used. A setting with <c>enabled: false</c> leaves one priority for
/// every proxy (<see cref="LocalityLbPolicy"/>). Envoy's rules for the result
/// (envoy/config/endpoint/v3/endpoint_components.proto, <c>LocalityLbEndpoints.priority</c>:
/// "Priorities should range from 0 (highest) to N (lowest) without skipping"; gRPC's xDS client
/// rejects an assignment with priority N but not N-1) are why empty levels are closed up. Envoy
/// sends to the highest priority that has healthy hosts and fails over to the next as hosts in
/// it go (Envoy "Priority levels"); within a priority, <c>load_balancing_weight</c> splits
/// traffic between localities ("Locality weighted load balancing"), so the weights are kept.
/// </remarks>
public static class LocalityPriorities
{
    /// <summary>The priority level of a locality in the proxy's own region and zone.</summary>
    public const uint SameZone = 0;

    /// <summary>The priority level of a locality in the proxy's region but another zone.</summary>
    public const uint SameRegion = 1;

    /// <summary>The priority level of a locality in the region the cluster's failover setting names for the proxy's region.</summary>
    public const uint FailoverRegion = 2;

    /// <summary>The priority level of any other locality.</summary>
    public const uint Elsewhere = 3;

    /// <summary>True when <paramref name="proxy"/> says where the proxy is (a region or a zone).</summary>
    public static bool IsKnown(Locality? proxy) => proxy is not null && (proxy.Region.Length > 0 || proxy.Zone.Length > 0);

    /// <summary>True when <paramref name="policy"/> turns locality priorities off.</summary>
    public static bool IsDisabled(LocalityLbPolicy? policy) => policy is { Enabled: false };

    /// <summary>
    /// The level (before renumbering) of <paramref name="endpoints"/> for a proxy in
    /// <paramref name="proxy"/>, under the cluster's <paramref name="policy"/> (null: the default).
    /// </summary>
    public static uint Level(Locality proxy, Locality? endpoints, LocalityLbPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var region = endpoints?.Region ?? string.Empty;
        var zone = endpoints?.Zone ?? string.Empty;
        if (!string.Equals(region, proxy.Region, StringComparison.Ordinal))
        {
            return policy?.FailoverFor(proxy.Region) is { } to && string.Equals(region, to, StringComparison.Ordinal) ? FailoverRegion : Elsewhere;
        }

        return string.Equals(zone, proxy.Zone, StringComparison.Ordinal) ? SameZone : SameRegion;
    }

    /// <summary>
    /// A copy of <paramref name="assignment"/> whose localities carry the priority of their
    /// level for <paramref name="proxy"/>, renumbered so the levels present run from 0 without a
    /// gap. Localities, endpoints, their order and their weights are unchanged. A proxy whose
    /// locality is not known, or a <paramref name="policy"/> that turns priorities off, gets an
    /// unchanged copy (a single priority).
    /// </summary>
    public static ClusterLoadAssignment Apply(ClusterLoadAssignment assignment, Locality? proxy, LocalityLbPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var result = assignment.Clone();
        if (!IsKnown(proxy) || IsDisabled(policy))
        {
            return result;
        }

        if (policy is { Distributes: true })
        {
            // Istio applies locality weights instead of failover priorities, never both.
            Distribute(result, proxy!, policy.Distribute!);
            return result;
        }

        var levels = result.Endpoints.Select(e => Level(proxy!, e.Locality, policy)).ToList();
        var present = levels.Distinct().Order().ToList();
        for (var i = 0; i < levels.Count; i++)
        {
            result.Endpoints[i].Priority = (uint)present.IndexOf(levels[i]);
        }

        return result;
    }

    /// <summary>
    /// Whether <paramref name="locality"/> matches a rule's locality <paramref name="pattern"/>
    /// (<c>region[/zone[/subzone]]</c>), as Istio's <c>LocalityMatch</c> decides: each part equal,
    /// or <c>*</c>; a zone or sub-zone the pattern leaves out matches anything.
    /// </summary>
    public static bool Matches(Locality? locality, string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var parts = pattern.Split('/', 3);
        var region = parts[0];
        var zone = parts.Length > 1 ? parts[1] : string.Empty;
        var subZone = parts.Length > 2 ? parts[2] : string.Empty;
        return (region == "*" || string.Equals(locality?.Region ?? string.Empty, region, StringComparison.Ordinal))
            && (zone is "*" or "" || string.Equals(locality?.Zone ?? string.Empty, zone, StringComparison.Ordinal))
            && (subZone is "*" or "" || string.Equals(locality?.SubZone ?? string.Empty, subZone, StringComparison.Ordinal));
    }

    /// <summary>
    /// Istio's locality weights (<c>applyLocalityWeights</c>): under the first entry whose
    /// <c>from</c> matches the proxy, each <c>to</c> locality's weight is shared among the
    /// localities it matches in proportion to their own weights (rounded up), and localities no
    /// <c>to</c> matches keep no endpoints. All stay at priority 0. No entry for the proxy: unchanged.
    /// </summary>
    private static void Distribute(ClusterLoadAssignment assignment, Locality proxy, IReadOnlyList<LocalityDistribute> distribute)
    {
        var entry = distribute.FirstOrDefault(d => Matches(proxy, d.From));
        if (entry is null)
        {
            return;
        }

        var unmatched = Enumerable.Range(0, assignment.Endpoints.Count).ToHashSet();
        foreach (var target in entry.To)
        {
            var matched = unmatched.Where(i => Matches(assignment.Endpoints[i].Locality, target.Locality)).Order().ToList();
            var own = matched.ToDictionary(i => i, i => assignment.Endpoints[i].LoadBalancingWeight ?? 1u);
            var total = own.Values.Aggregate(0UL, (sum, w) => sum + w);
            foreach (var index in matched)
            {
                unmatched.Remove(index);
                var weight = Math.Ceiling((double)own[index] * target.Weight / total);
                if (weight > 0)
                {
                    assignment.Endpoints[index].LoadBalancingWeight = (uint)Math.Min(weight, uint.MaxValue);
                }
            }
        }

        foreach (var index in unmatched)
        {
            assignment.Endpoints[index].LbEndpoints.Clear();
        }
    }
}
