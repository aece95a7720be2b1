using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// The YAML source inside the real control plane: what xDS clients and <c>/debug/config</c>
/// show when the watched directory vanishes and returns, and for dangling references.
/// </summary>
public sealed class DirectorySourceServingTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ConfigDirectoryRemoved_ClientsKeepEveryResource_DebugConfigShowsItUnavailable_AndItIsServedAgainWhenItReturns()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["a.yaml"] = MeshYaml.Service("a", 7000) });
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.ReceiveAsync();
        await client.AckAsync(first);

        // The client holds a's cluster before the directory goes (a loaded machine may answer first with the empty mesh).
        for (var i = 0; i < 10 && !AdsTestClient.Unpack<Cluster>(first).Any(c => c.Name == "outbound|7000||a.default.svc.cluster.local"); i++)
        {
            first = await client.ReceiveTypeAsync(TypeUrls.Cluster, s_wait);
            await client.AckAsync(first);
        }

        Assert.Contains(AdsTestClient.Unpack<Cluster>(first), c => c.Name == "outbound|7000||a.default.svc.cluster.local");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        Directory.Delete(server.ConfigDirectory, recursive: true);
        await Eventually.TrueAsync(async () => (string?)(await SourceStatusAsync(http))["state"] == "Unavailable", s_wait, "/debug/config shows the directory unavailable");
        var status = await SourceStatusAsync(http);

        Assert.Contains(server.Cache.Current.Of(TypeUrls.Cluster).Keys, n => n == "outbound|7000||a.default.svc.cluster.local");
        Assert.NotEmpty((string)status["error"]!);
        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(500)), "the client was sent a change while the directory was gone");

        Directory.CreateDirectory(server.ConfigDirectory);
        await server.WriteConfigAsync("a.yaml", MeshYaml.Service("a", 7000));
        await server.WriteConfigAsync("b.yaml", MeshYaml.Service("b", 7001));
        var next = await client.ReceiveTypeAsync(TypeUrls.Cluster, s_wait);

        Assert.Equal(
            ["outbound|7000||a.default.svc.cluster.local", "outbound|7001||b.default.svc.cluster.local"],
            AdsTestClient.Unpack<Cluster>(next).Select(c => c.Name).Order(StringComparer.Ordinal));
        // The source may hand over the files it read before it has its watch on the new directory again.
        await Eventually.TrueAsync(async () => (string?)(await SourceStatusAsync(http))["state"] == "Watching", s_wait, "/debug/config shows the directory watched again");
    }

    [Fact]
    public async Task DestinationRuleAndPods_FromFiles_ServeSubsetClusters_AndAPodRelabelledMovesItsEndpoint()
    {
        const string Host = "echo.shop.svc.cluster.local";
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("echo", 7000, "shop"),
                MeshYaml.SliceOfPods("echo-1", "echo", 17000, "shop", ("127.0.0.1", "echo-a"), ("127.0.0.2", "echo-b")),
                MeshYaml.SubsetRule("echo", "echo", "shop", "v1", "v2")),
            ["pods.yaml"] = MeshYaml.Documents(MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.1"), MeshYaml.Pod("echo-b", "shop", "v2", "127.0.0.2")),
        });
        await Eventually.TrueAsync(() => Addresses(server, $"outbound|7000|v2|{Host}").SequenceEqual(["127.0.0.2"]), s_wait, "subset v2 holds echo-b");
        Assert.Equal(["127.0.0.1"], Addresses(server, $"outbound|7000|v1|{Host}"));

        await server.WriteConfigAsync("pods.yaml", MeshYaml.Documents(MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.1"), MeshYaml.Pod("echo-b", "shop", "v1", "127.0.0.2")));

        await Eventually.TrueAsync(() => Addresses(server, $"outbound|7000|v1|{Host}").Count == 2, s_wait, "echo-b moved to subset v1");
        Assert.Empty(Addresses(server, $"outbound|7000|v2|{Host}"));
    }

    private static List<string> Addresses(MeshServer server, string clusterName) =>
        server.Cache.Current.Of(TypeUrls.ClusterLoadAssignment).TryGetValue(clusterName, out var resource)
            ? resource.Any.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().Endpoints.SelectMany(l => l.LbEndpoints)
                .Select(e => e.Endpoint.Address.SocketAddress.Address).Order(StringComparer.Ordinal).ToList()
            : [];

    [Fact]
    public async Task DanglingReferences_AreWarnings_KeptApartFromRejections()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["mesh.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("a", 7000),
                MeshYaml.Slice("orphan-1", "orphan", 7000, [("127.0.0.1", true)]),
                MeshYaml.WeightedSplit("ghost", "ghost", 7000, ("a", 50), ("b", 50))),
            ["bad.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: broken}\nspec: {ports: [{port: 0}]}\n",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        var cluster = (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]![0]!;
        var warnings = cluster["warnings"]!.AsArray().Select(w => $"{w!["kind"]} {w["name"]} {w["field"]}").ToList();

        Assert.Equal(["EndpointSlice orphan-1 metadata.labels[kubernetes.io/service-name]", "VirtualService ghost spec.hosts[0]"], warnings);
        Assert.Equal("broken", (string)Assert.Single(cluster["rejected"]!.AsArray())!["name"]!);
    }

    [Fact]
    public async Task KindsTheMeshDoesNotRead_AreCountedQuietly_AndObjectsThatApplyToNothingAreListedWithTheReason()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["app.yaml"] = MeshYaml.Documents(
                MeshYaml.Service("a", 7000),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 2}",
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}",
                "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata: {name: edge}\nspec: {template: {ports: {http: 80}}}",
                "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: scoped}\nspec: {egress: [{hosts: [\"./*\"]}], ingress: [{port: {number: 9080, protocol: HTTP, name: http}, bind: 127.0.0.2, defaultEndpoint: \"127.0.0.1:8080\"}]}"),
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        var cluster = (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]![0]!;

        Assert.Empty(cluster["rejected"]!.AsArray());
        Assert.Equal(2, (int)cluster["sourceStatus"]!["skippedKinds"]!["Deployment"]!);
        Assert.Equal(1, (int)cluster["sourceStatus"]!["skippedKinds"]!["ServiceAccount"]!);
        var ignored = Assert.Single(cluster["ignored"]!.AsArray());
        Assert.Equal("edge", (string)ignored!["name"]!);
        Assert.Contains("not supported yet", (string)ignored["reason"]!, StringComparison.Ordinal);

        // A Sidecar's egress hosts and ingress listeners apply; what does not apply yet (an ingress bind) is said so.
        var warning = Assert.Single(cluster["warnings"]!.AsArray(), w => (string)w!["kind"]! == "Sidecar");
        Assert.Equal("scoped", (string)warning!["name"]!);
        Assert.Equal("spec.ingress[0].bind", (string)warning["field"]!);
        Assert.Contains("not applied yet", (string)warning["message"]!, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> SourceStatusAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]![0]!["sourceStatus"]!.AsObject();
}
