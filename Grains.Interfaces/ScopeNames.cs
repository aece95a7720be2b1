using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>Names of proxy scopes.</summary>
public static class ScopeNames
{
    /// <summary>
    /// The scope of proxyless gRPC clients that no Sidecar resource narrows: they see the whole mesh.
    /// </summary>
    public const string Default = "default";

    /// <summary>
    /// The scope every Envoy sidecar shares: the outbound listeners, the route configurations
    /// named by port, and the clusters and endpoints of the whole mesh.
    /// </summary>
    public const string Sidecar = "sidecar";

    /// <summary>The scope every gateway shares: the clusters and endpoints of the whole mesh.</summary>
    public const string Router = "router";

    /// <summary>The prefix of a workload's own scope.</summary>
    public const string WorkloadPrefix = "workload/";

    /// <summary>
    /// The scope of one workload's own resources (a sidecar's inbound listener and clusters): its
    /// kind, member cluster and IP address, as <c>workload/&lt;kind&gt;/&lt;cluster&gt;/&lt;ip&gt;</c>.
    /// </summary>
    public static string Workload(ProxyKind kind, string memberClusterId, string ip) =>
        $"{WorkloadPrefix}{kind.ToString().ToLowerInvariant()}/{memberClusterId}/{ip}";

    /// <summary>True when <paramref name="scope"/> names a workload's own scope.</summary>
    public static bool IsWorkload(string scope) => scope.StartsWith(WorkloadPrefix, StringComparison.Ordinal);

    /// <summary>The parts of a workload scope's name, or null when it is not one.</summary>
    public static (ProxyKind Kind, string MemberClusterId, string Ip)? ParseWorkload(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!IsWorkload(scope))
        {
            return null;
        }

        var parts = scope[WorkloadPrefix.Length..].Split('/', 3);
        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0
            || !Enum.TryParse<ProxyKind>(parts[0], ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
        {
            return null;
        }

        return (kind, parts[1], parts[2]);
    }
}
