using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// The traffic policy that holds for one cluster (host, port, subset) of a merged DestinationRule,
/// as Istio works it out (MergeSubsetTrafficPolicy): the rule's top-level policy, replaced whole by
/// its port-level settings for the port when it has some (fields they omit take their defaults,
/// they do not inherit); then the subset's policy (itself replaced whole by its own port-level
/// settings for the port) overrides load balancer, connection pool, outlier detection and TLS
/// each where it sets them, or all four when it came from port-level settings.
/// </summary>
public static class TrafficPolicies
{
    /// <summary>
    /// The policy of cluster (<paramref name="port"/>, <paramref name="subset"/>) under
    /// <paramref name="rule"/> (see <see cref="DestinationRules.Merge"/>), without port-level
    /// settings; null when nothing is set. A subset the rule does not define has the rule's policy.
    /// </summary>
    public static TrafficPolicySpec? For(DestinationRuleSpec? rule, int port, string? subset = null)
    {
        if (rule is null)
        {
            return null;
        }

        var (original, _) = AtPort(rule.TrafficPolicy, port);
        var subsetPolicy = string.IsNullOrEmpty(subset)
            ? null
            : rule.Subsets.FirstOrDefault(s => string.Equals(s.Name, subset, StringComparison.Ordinal))?.TrafficPolicy;
        if (subsetPolicy is null)
        {
            return original;
        }

        var (overriding, portLevel) = AtPort(subsetPolicy, port);
        if (original is null)
        {
            return overriding;
        }

        return original with
        {
            LoadBalancer = overriding!.LoadBalancer is not null || portLevel ? overriding.LoadBalancer : original.LoadBalancer,
            ConnectionPool = overriding.ConnectionPool is not null || portLevel ? overriding.ConnectionPool : original.ConnectionPool,
            OutlierDetection = overriding.OutlierDetection is not null || portLevel ? overriding.OutlierDetection : original.OutlierDetection,
            TlsMode = overriding.TlsMode is not null || portLevel ? overriding.TlsMode : original.TlsMode,
            Tls = overriding.Tls is not null || portLevel ? overriding.Tls : original.Tls,
        };
    }

    /// <summary>
    /// The load balancer of cluster (<paramref name="port"/>, <paramref name="subset"/>) under
    /// <paramref name="rule"/>, or null: what a route builder reads to add a consistent hash's
    /// <c>hash_policy</c> to routes sending to that cluster.
    /// </summary>
    public static LoadBalancerSpec? LoadBalancer(DestinationRuleSpec? rule, int port, string? subset = null) =>
        For(rule, port, subset)?.LoadBalancer;

    /// <summary><paramref name="policy"/> for <paramref name="port"/>: its port-level settings for it when it has some (and true), else itself without port-level settings.</summary>
    private static (TrafficPolicySpec? Policy, bool PortLevel) AtPort(TrafficPolicySpec? policy, int port)
    {
        if (policy is null)
        {
            return (null, false);
        }

        var portLevel = policy.PortLevelSettings.FirstOrDefault(p => p.Port == port);
        return portLevel is not null
            ? (portLevel with { Port = null, PortLevelSettings = [] }, true)
            : (policy.PortLevelSettings.Count == 0 ? policy : policy with { PortLevelSettings = [] }, false);
    }
}
