using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// How istioctl describes route matches, domains and inline route configurations in one cell
/// (<c>describeMatch</c>, <c>describeRouteDomains</c>, <c>describeRouteConfig</c> in its
/// configdump writer), shared by the route and listener tables.
/// </summary>
internal static class RouteDescriptions
{
    /// <summary>Istio's cluster for traffic to an address the mesh does not know.</summary>
    public const string PassthroughCluster = "PassthroughCluster";

    /// <summary>A RouteMatch: <c>/prefix*</c>, <c>PathPrefix:/p</c>, an exact path, or <c>regex R</c> (headers are left out).</summary>
    public static string Match(JsonElement match)
    {
        var conditions = new List<string>();
        if (match.Text("prefix") is { Length: > 0 } prefix)
        {
            conditions.Add(prefix + "*");
        }

        if (match.Text("path_separated_prefix") is { Length: > 0 } separated)
        {
            conditions.Add("PathPrefix:" + separated);
        }

        if (match.Text("path") is { Length: > 0 } path)
        {
            conditions.Add(path);
        }

        if (match.Field("safe_regex") is { } regex)
        {
            conditions.Add("regex " + regex.Text("regex"));
        }

        return string.Join(' ', conditions);
    }

    /// <summary>
    /// A virtual host's domains: the only one, or those without a port, long forms dropped
    /// where the short one is there (<c>reviews</c> hides <c>reviews.default.svc.cluster.local</c>),
    /// at most two and a count of the rest.
    /// </summary>
    public static string Domains(IReadOnlyList<string> domains)
    {
        ArgumentNullException.ThrowIfNull(domains);
        if (domains.Count <= 1)
        {
            return domains.Count == 0 ? string.Empty : domains[0];
        }

        var withoutPort = domains.Where(d => !d.Contains(':', StringComparison.Ordinal) || (d.Count(c => c == ':') > 2 && d.EndsWith(']'))).ToList();
        var unique = withoutPort.ToHashSet(StringComparer.Ordinal);
        var shown = withoutPort.Where(d =>
        {
            var full = d.EndsWith(".svc.cluster.local", StringComparison.Ordinal) ? d[..^".svc.cluster.local".Length] : d;
            var partial = d.EndsWith(".svc", StringComparison.Ordinal) ? d[..^".svc".Length] : d;
            return !(full != d && unique.Contains(full)) && !(partial != d && unique.Contains(partial));
        }).ToList();
        return shown.Count > 2
            ? $"{string.Join(", ", shown.Take(2))} + {shown.Count - 2} more..."
            : string.Join(", ", shown);
    }

    /// <summary>
    /// An inline RouteConfiguration in a listener's DESTINATION: its cluster when it sends
    /// everything (<c>*</c>, one route, prefix <c>/</c>) to one; else each virtual host's
    /// domains and matches.
    /// </summary>
    public static string InlineRouteConfig(JsonElement routeConfig)
    {
        var hosts = routeConfig.Items("virtual_hosts").ToList();
        if (hosts.Count == 1
            && hosts[0].Strings("domains") is ["*"]
            && hosts[0].Items("routes").ToList() is [var only]
            && only.Text("match", "prefix") == "/"
            && only.Text("route", "cluster") is { Length: > 0 } cluster)
        {
            return cluster.Contains("Cluster", StringComparison.Ordinal) ? cluster : "Cluster: " + cluster;
        }

        var described = hosts.Select(h =>
        {
            var domains = h.Strings("domains");
            var routes = string.Join(", ", h.Items("routes").Select(r => Match(r.Field("match") ?? default)));
            return domains is ["*"] ? routes : $"{string.Join('/', domains)} {routes}";
        });
        return "Inline Route: " + string.Join("; ", described);
    }
}
