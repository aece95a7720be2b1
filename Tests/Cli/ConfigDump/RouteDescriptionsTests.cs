using System.Text.Json;
using Mesh.Orleans.Cli.ConfigDump;

namespace Mesh.Orleans.Tests.Cli.ConfigDump;

public sealed class RouteDescriptionsTests
{
    [Fact]
    public void InlineRouteConfig_SendingEverythingToOneCluster_IsThatCluster_ElseEachHostsDomainsAndMatches()
    {
        using var all = JsonDocument.Parse("""{"virtual_hosts": [{"domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "inbound|9080||"}}]}]}""");
        using var passthrough = JsonDocument.Parse("""{"virtualHosts": [{"domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "InboundPassthroughCluster"}}]}]}""");
        using var several = JsonDocument.Parse("""
            {"virtual_hosts": [
              {"domains": ["a.example", "a.example:80"], "routes": [{"match": {"path": "/x"}}, {"match": {"path_separated_prefix": "/api"}}]},
              {"domains": ["*"], "routes": [{"match": {"safe_regex": {"regex": ".*"}}}]}
            ]}
            """);

        Assert.Equal("Cluster: inbound|9080||", RouteDescriptions.InlineRouteConfig(all.RootElement));
        Assert.Equal("InboundPassthroughCluster", RouteDescriptions.InlineRouteConfig(passthrough.RootElement));
        Assert.Equal("Inline Route: a.example/a.example:80 /x, PathPrefix:/api; regex .*", RouteDescriptions.InlineRouteConfig(several.RootElement));
    }

    [Fact]
    public void Domains_LeavesOutPortsAndLongFormsOfShortNames_AndCountsWhatIsPastTwo()
    {
        Assert.Equal(string.Empty, RouteDescriptions.Domains([]));
        Assert.Equal("only:80", RouteDescriptions.Domains(["only:80"]));
        Assert.Equal("reviews, reviews.default", RouteDescriptions.Domains(["reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews", "reviews.default.svc", "reviews.default"]));
        Assert.Equal("a, b + 2 more...", RouteDescriptions.Domains(["a", "b", "c", "d", "[fd00::1]", "[fd00::1]:80"]));
    }
}
