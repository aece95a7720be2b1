using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Which DestinationRules apply to a hostname, and how several of them merge: one rule, shared by
/// the registry (binding), the analyzer (warnings) and the translator (merging), so that what is
/// served and what is reported agree. Follows Istio's lookup (push_context.go, destinationRule and
/// mergeDestinationRule) with what one mesh-wide configuration allows.
/// </summary>
/// <remarks>
/// <para>Istio looks a rule up per proxy: the proxy's namespace first, then the Service's
/// namespace, then the root namespace; proxies in a namespace are served that lookup
/// (<see cref="Scoping.ProxyVisibility.DestinationRuleFor"/>, <see cref="Scoping.NamespaceViews"/>).
/// This is the whole mesh's configuration (gateways, clients without a namespace), in which the
/// proxy's namespace has no say: a host takes its rule from the Service's namespace, else from
/// <see cref="RootNamespace"/>, else from the first other namespace (by name) that has one;
/// <c>exportTo</c> is not used to choose. A rule with a <c>workloadSelector</c> applies only to the
/// workloads it selects, which needs per-proxy configuration: it is not applied (and reported).</para>
/// <para>Within that namespace the most specific host wins: the exact hostname, else the longest
/// matching <c>*.</c> wildcard (by suffix; <c>*</c> matches every host). Several rules for that
/// same host merge oldest first (creation time, then name): subsets are concatenated (a subset
/// name already defined is ignored), and the first top-level traffic policy is kept.</para>
/// </remarks>
public static class DestinationRules
{
    /// <summary>Istio's default root (config) namespace, whose rules apply to every namespace.</summary>
    public const string RootNamespace = "istio-system";

    /// <summary>Whether <paramref name="pattern"/> (a rule's resolved host) is a wildcard.</summary>
    public static bool IsWildcard(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return pattern.StartsWith('*');
    }

    /// <summary>Whether a rule for <paramref name="pattern"/> may apply to <paramref name="host"/>: the same name, or a wildcard whose suffix the host ends with.</summary>
    public static bool Matches(string pattern, string host)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(host);
        return IsWildcard(pattern)
            ? host.EndsWith(pattern.AsSpan(1), StringComparison.Ordinal)
            : string.Equals(pattern, host, StringComparison.Ordinal);
    }

    /// <summary>Whether the rule applies mesh-wide (it has no workload selector).</summary>
    public static bool IsMeshWide(DestinationRuleSpec rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.WorkloadSelector is null;
    }

    /// <summary>The namespace of a Kubernetes Service hostname (<c>name.ns.svc.cluster.local</c>), or null.</summary>
    public static string? NamespaceOf(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var suffix = ".svc." + MeshNames.DomainSuffix;
        if (!host.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var nameAndNamespace = host[..^suffix.Length];
        var dot = nameAndNamespace.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot < nameAndNamespace.Length - 1 ? nameAndNamespace[(dot + 1)..] : null;
    }

    /// <summary>
    /// The rules bound to <paramref name="host"/>, oldest first (the order they merge in), chosen
    /// from <paramref name="candidates"/> (any rules; those that do not match are skipped). Empty
    /// when none applies.
    /// </summary>
    public static IReadOnlyList<DestinationRuleSpec> Bind(string host, IEnumerable<DestinationRuleSpec> candidates)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(candidates);
        var byNamespace = new SortedDictionary<string, List<DestinationRuleSpec>>(StringComparer.Ordinal);
        foreach (var rule in candidates)
        {
            if (IsMeshWide(rule) && Matches(rule.Host, host))
            {
                if (!byNamespace.TryGetValue(rule.Namespace, out var list))
                {
                    byNamespace[rule.Namespace] = list = [];
                }

                list.Add(rule);
            }
        }

        if (byNamespace.Count == 0)
        {
            return [];
        }

        var serviceNamespace = NamespaceOf(host);
        var tier = serviceNamespace is not null && byNamespace.TryGetValue(serviceNamespace, out var own) ? own
            : byNamespace.TryGetValue(RootNamespace, out var root) ? root
            : byNamespace.First().Value;
        string? best = null;
        foreach (var rule in tier)
        {
            if (best is null || MoreSpecific(rule.Host, best))
            {
                best = rule.Host;
            }
        }

        return tier.Where(r => string.Equals(r.Host, best, StringComparison.Ordinal)).Order(Oldest).ToList();
    }

    /// <summary>
    /// Whether host pattern <paramref name="a"/> is more specific than <paramref name="b"/>: a
    /// name before any wildcard, then longer first, then in ordinal order (Istio's MoreSpecific).
    /// </summary>
    public static bool MoreSpecific(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (wildA, wildB) = (IsWildcard(a), IsWildcard(b));
        if (wildA != wildB)
        {
            return !wildA;
        }

        return a.Length != b.Length ? a.Length > b.Length : string.CompareOrdinal(a, b) < 0;
    }

    /// <summary>Oldest first: creation time (none counts as oldest), then name, then namespace.</summary>
    public static IComparer<DestinationRuleSpec> Oldest { get; } = Comparer<DestinationRuleSpec>.Create((x, y) =>
    {
        var byTime = Nullable.Compare(x.CreationTimestamp, y.CreationTimestamp);
        if (byTime != 0)
        {
            return byTime;
        }

        var byName = string.CompareOrdinal(x.Name, y.Name);
        return byName != 0 ? byName : string.CompareOrdinal(x.Namespace, y.Namespace);
    });

    /// <summary>
    /// One rule from rules bound together (<see cref="Bind"/>'s order): the first, with the
    /// subsets of the later ones whose names it lacks, and the first top-level traffic policy
    /// any of them sets. Null when <paramref name="rules"/> is empty.
    /// </summary>
    public static DestinationRuleSpec? Merge(IReadOnlyList<DestinationRuleSpec>? rules)
    {
        if (rules is null || rules.Count == 0)
        {
            return null;
        }

        if (rules.Count == 1)
        {
            return rules[0];
        }

        var subsets = new List<SubsetSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        TrafficPolicySpec? policy = null;
        foreach (var rule in rules)
        {
            subsets.AddRange(rule.Subsets.Where(s => names.Add(s.Name)));
            policy ??= rule.TrafficPolicy;
        }

        return rules[0] with { Subsets = subsets, TrafficPolicy = policy };
    }

    /// <summary>
    /// What merging ignores of <paramref name="rule"/>, one of <paramref name="merged"/> (rules
    /// bound together, oldest first): the field and the rule whose value stands instead.
    /// </summary>
    public static IEnumerable<(string Field, string What, DestinationRuleSpec Winner)> Ignored(DestinationRuleSpec rule, IReadOnlyList<DestinationRuleSpec> merged)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(merged);
        var at = -1;
        for (var i = 0; i < merged.Count; i++)
        {
            if (ReferenceEquals(merged[i], rule))
            {
                at = i;
            }
        }

        if (at <= 0)
        {
            yield break;
        }

        var older = merged.Take(at).ToList();
        if (rule.TrafficPolicy is not null && older.FirstOrDefault(r => r.TrafficPolicy is not null) is { } policyWinner)
        {
            yield return ("spec.trafficPolicy", "its top-level traffic policy", policyWinner);
        }

        for (var i = 0; i < rule.Subsets.Count; i++)
        {
            var name = rule.Subsets[i].Name;
            if (older.FirstOrDefault(r => r.Subsets.Any(s => string.Equals(s.Name, name, StringComparison.Ordinal))) is { } subsetWinner)
            {
                yield return ($"spec.subsets[{i}].name", $"its subset '{name}'", subsetWinner);
            }
        }
    }
}
