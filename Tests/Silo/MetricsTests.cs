using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Envoy.Config.Cluster.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// <c>/metrics</c> on the debug port of a real control plane, scraped as Prometheus scrapes it:
/// Istio's names move as a proxy connects, is pushed a change, NACKs, and as the source rejects an
/// object; Orleans' own meters are there; the xDS ports answer no debug page and the debug port
/// no gRPC. Meters are per process, so several control planes in one test run add up: every
/// check is of a value that moves by at least what this test did, or of labels only it uses.
/// </summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private const string ClusterId = "metrics-test";
    private MeshServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await MeshServer.StartAsync(
            new Dictionary<string, string> { ["a.yaml"] = MeshYaml.Service("metrics-a", 7000) },
            new Dictionary<string, string?> { ["Mesh:Source:ClusterId"] = ClusterId });
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.DebugPort}") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task PushesNacksConvergenceAndConnectedProxies_MoveAsTheyHappen()
    {
        var before = await ScrapeAsync();
        await using var client = AdsTestClient.Connect(_server.XdsPort, "metrics-client");
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        await client.AckAsync(first);

        var connected = await ScrapeAsync();
        Assert.True(connected.Sum("pilot_xds", "type", "proxyless") >= 1, "the proxyless client is counted");
        Assert.True(connected.Sum("pilot_xds_pushes", "type", "cds") >= before.Sum("pilot_xds_pushes", "type", "cds") + 1, "the CDS response is counted");
        Assert.True(connected.Sum("pilot_xds_send_time_count") > before.Sum("pilot_xds_send_time_count"));

        // A change pushed to the open stream: convergence and push time are observed.
        await _server.WriteConfigAsync("b.yaml", MeshYaml.Service("metrics-b", 7001));
        var pushed = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));
        Assert.Contains("outbound|7001||metrics-b.default.svc.cluster.local", AdsTestClient.Unpack<Cluster>(pushed).Select(c => c.Name));
        // Recorded once the write completes, which the client may see first.
        await Eventually.TrueAsync(
            async () => (await ScrapeAsync()).Sum("pilot_proxy_convergence_time_count") > connected.Sum("pilot_proxy_convergence_time_count"),
            TimeSpan.FromSeconds(10),
            "the push is a convergence sample");
        var converged = await ScrapeAsync();
        Assert.True(converged.Sum("pilot_xds_push_time_count", "type", "cds") > connected.Sum("pilot_xds_push_time_count", "type", "cds"));
        Assert.True(converged.Sum("mesh_resource_builds_total", "kind", "service") > before.Sum("mesh_resource_builds_total", "kind", "service"));
        Assert.Contains(converged.Lines, l => l.StartsWith("pilot_proxy_convergence_time_bucket{", StringComparison.Ordinal) && l.Contains("le=\"0.1\"", StringComparison.Ordinal));

        // The client rejects it.
        await client.NackAsync(pushed, first.VersionInfo);
        await Eventually.TrueAsync(
            async () => (await ScrapeAsync()).Sum("pilot_total_xds_rejects", "type", "cds") > before.Sum("pilot_total_xds_rejects", "type", "cds"),
            TimeSpan.FromSeconds(10),
            "the NACK is counted");
        var nacked = await ScrapeAsync();
        Assert.True(nacked.Sum("pilot_xds_cds_reject") > before.Sum("pilot_xds_cds_reject"));
    }

    [Fact]
    public async Task RejectedObjectsAndTheMemberCluster_AreGauges_AndOrleansMetersAreExported()
    {
        await Eventually.TrueAsync(async () => (await ScrapeAsync()).Sum("mesh_member_cluster_up", "cluster", ClusterId) == 1, TimeSpan.FromSeconds(10), "the directory's member cluster is up");
        Assert.Equal(0, (await ScrapeAsync()).Sum("mesh_config_rejected_objects", "cluster", ClusterId));

        await _server.WriteConfigAsync("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 0}]}\n");
        await Eventually.TrueAsync(async () => (await ScrapeAsync()).Sum("mesh_config_rejected_objects", "cluster", ClusterId) == 1, TimeSpan.FromSeconds(10), "the rejection is counted");
        _server.DeleteConfig("bad.yaml");
        await Eventually.TrueAsync(async () => (await ScrapeAsync()).Sum("mesh_config_rejected_objects", "cluster", ClusterId) == 0, TimeSpan.FromSeconds(10), "the rejection goes away");

        var scrape = await ScrapeAsync();
        Assert.True(scrape.Sum("mesh_scope_count") >= 1);
        Assert.Contains(scrape.Lines, l => l.StartsWith("orleans_", StringComparison.Ordinal));

        // No label carries a proxy id.
        Assert.DoesNotContain(scrape.Lines, l => l.Contains("metrics-client", StringComparison.Ordinal) || l.Contains("node", StringComparison.OrdinalIgnoreCase) && l.StartsWith("pilot_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheXdsPortsServeNoDebugPage_AndTheDebugPortNoGrpc()
    {
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        foreach (var path in new[] { "/debug/syncz", "/metrics", "/healthz", "/debug/config" })
        {
            var answer = await h2c.GetAsync(new Uri($"http://127.0.0.1:{_server.XdsPort}{path}"));
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        }

        using var grpcOnDebug = new HttpRequestMessage(HttpMethod.Post, "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { { "Content-Type", "application/grpc" } } },
        };
        Assert.Equal(HttpStatusCode.NotFound, (await _http.SendAsync(grpcOnDebug)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
    }

    private async Task<Scrape> ScrapeAsync() => new((await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n'));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex Sample();

    private sealed record Scrape(string[] Lines)
    {
        /// <summary>The sum of the samples of <paramref name="name"/> whose labels include <paramref name="label"/>=<paramref name="value"/> (any when null).</summary>
        public double Sum(string name, string? label = null, string? value = null) =>
            Lines.Select(l => Sample().Match(l))
                .Where(m => m.Success && m.Groups["name"].Value == name
                    && (label is null || m.Groups["labels"].Value.Contains($"{label}=\"{value}\"", StringComparison.Ordinal)))
                .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }
}
