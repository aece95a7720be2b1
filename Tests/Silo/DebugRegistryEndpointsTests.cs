using System.Net;
using System.Text.Json;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Xds.Frontend.Security;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// istiod's registry, config and push views on the debug port of a real control plane
/// (<c>/debug/registryz</c>, <c>/debug/endpointz</c>, <c>/debug/configz</c>,
/// <c>/debug/push_status</c>, <c>/debug/connections</c>): their fields, the hostname filter, the
/// bounds, refusals of bad queries, no Secret's key anywhere, and which role maps which page.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DebugRegistryEndpointsTests : IAsyncLifetime
{
    private const string SidecarNode = "sidecar~10.1.0.50~reader-0.shop~shop.svc.cluster.local";
    private const string Reviews = "reviews.shop.svc.cluster.local";
    private const string Payments = "api.payments.example";

    private const string ReviewsYaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec:
          clusterIP: 10.96.0.20
          ports:
            - name: http
              port: 9080
              targetPort: 9080
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: reviews-abc
          namespace: shop
          labels: {kubernetes.io/service-name: reviews}
        addressType: IPv4
        ports:
          - name: http
            port: 9080
        endpoints:
          - addresses: ["10.1.0.7"]
            conditions: {ready: true}
            zone: us-east1/us-east1-b
            nodeName: node-1
            targetRef: {kind: Pod, namespace: shop, name: reviews-v1-7d9c5b}
          - addresses: ["10.1.0.8"]
            conditions: {ready: false, serving: true, terminating: true}
            zone: us-east1/us-east1-c
            targetRef: {kind: Pod, namespace: shop, name: reviews-v1-x2k4p}
          - addresses: ["10.1.0.9"]
            conditions: {ready: false}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-route, namespace: shop}
        spec:
          hosts: [reviews.shop.svc.cluster.local]
          http:
            - route:
                - destination: {host: reviews.shop.svc.cluster.local, port: {number: 9080}}
        """;

    private const string PaymentsYaml = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: payments, namespace: shop}
        spec:
          hosts: [api.payments.example]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports:
            - number: 443
              name: https
              protocol: HTTPS
          endpoints:
            - address: 192.0.2.10
              locality: eu-west1/eu-west1-a
              ports: {https: 8443}
        """;

    private readonly HttpClient _http = new();
    private readonly (string Certificate, string Key, string Ca) _credential = GatewayCredentialServingTests.Credential("shop.example");
    private MeshServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["reviews.yaml"] = ReviewsYaml,
            ["payments.yaml"] = PaymentsYaml,
            ["secret.yaml"] = GatewayCredentialServingTests.TlsSecret("shop", "shop-cert", _credential),
        });
        await Eventually.TrueAsync(
            async () => (await GetJsonAsync("/debug/configz")).RootElement.GetProperty("configs").GetArrayLength() >= 5,
            TimeSpan.FromSeconds(30),
            "the directory's objects in /debug/configz");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Registryz_ListsTheServiceAndTheServiceEntry_WithPortsSourceResolutionAndLocation()
    {
        using var json = await GetJsonAsync("/debug/registryz");
        var root = json.RootElement;
        Assert.False(root.GetProperty("truncated").GetBoolean());
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        var services = root.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal([Payments, Reviews], services.Select(s => s.GetProperty("hostname").GetString()));

        var reviews = services[1];
        Assert.Equal(
            ["hostname", "namespace", "name", "kind", "registry", "clusters", "ports", "resolution", "location", "meshExternal", "clusterVIPs", "exportTo"],
            reviews.EnumerateObject().Select(p => p.Name));
        Assert.Equal("shop", reviews.GetProperty("namespace").GetString());
        Assert.Equal("reviews", reviews.GetProperty("name").GetString());
        Assert.Equal("Service", reviews.GetProperty("kind").GetString());
        Assert.Equal("Kubernetes", reviews.GetProperty("registry").GetString());
        Assert.Equal([MeshNames.DefaultClusterId], reviews.GetProperty("clusters").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("""[{"name":"http","port":9080,"protocol":"HTTP"}]""", reviews.GetProperty("ports").GetRawText());
        Assert.Equal("ClientSideLB", reviews.GetProperty("resolution").GetString());
        Assert.Equal(JsonValueKind.Null, reviews.GetProperty("location").ValueKind);
        Assert.False(reviews.GetProperty("meshExternal").GetBoolean());
        Assert.Equal("10.96.0.20", reviews.GetProperty("clusterVIPs").GetProperty(MeshNames.DefaultClusterId)[0].GetString());

        var payments = services[0];
        Assert.Equal("shop", payments.GetProperty("namespace").GetString());
        Assert.Equal("payments", payments.GetProperty("name").GetString());
        Assert.Equal("ServiceEntry", payments.GetProperty("kind").GetString());
        Assert.Equal("External", payments.GetProperty("registry").GetString());
        Assert.Equal("""[{"name":"https","port":443,"protocol":"HTTPS"}]""", payments.GetProperty("ports").GetRawText());
        Assert.Equal("ClientSideLB", payments.GetProperty("resolution").GetString());
        Assert.Equal("MESH_EXTERNAL", payments.GetProperty("location").GetString());
        Assert.True(payments.GetProperty("meshExternal").GetBoolean());

        using var bounded = await GetJsonAsync("/debug/registryz?limit=1");
        Assert.True(bounded.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(1, bounded.RootElement.GetProperty("services").GetArrayLength());
    }

    [Fact]
    public async Task Endpointz_GivesEachPortsEndpoints_WithLocalityHealthClusterAndPod_AndFiltersByHostname()
    {
        using var json = await GetJsonAsync("/debug/endpointz?hostname=" + Reviews);
        var groups = json.RootElement.GetProperty("endpoints").EnumerateArray().ToList();
        var group = Assert.Single(groups);
        Assert.Equal(Reviews, group.GetProperty("hostname").GetString());
        Assert.Equal("shop", group.GetProperty("namespace").GetString());
        Assert.Equal("""{"name":"http","port":9080,"protocol":"HTTP"}""", group.GetProperty("port").GetRawText());
        var endpoints = group.GetProperty("endpoints").EnumerateArray().ToList();
        Assert.Equal(
            """{"address":"10.1.0.7","port":9080,"locality":{"region":"us-east1","zone":"us-east1-b","subZone":""},"health":"HEALTHY","cluster":"Kubernetes","network":null,"workload":"reviews-v1-7d9c5b","node":"node-1"}""",
            endpoints[0].GetRawText());
        Assert.Equal(
            """{"address":"10.1.0.8","port":9080,"locality":{"region":"us-east1","zone":"us-east1-c","subZone":""},"health":"DRAINING","cluster":"Kubernetes","network":null,"workload":"reviews-v1-x2k4p","node":null}""",
            endpoints[1].GetRawText());
        Assert.Equal("UNHEALTHY", endpoints[2].GetProperty("health").GetString());
        Assert.Equal(JsonValueKind.Null, endpoints[2].GetProperty("workload").ValueKind);
        Assert.Equal(3, endpoints.Count);

        using var entry = await GetJsonAsync("/debug/endpointz?hostname=" + Payments);
        var payments = Assert.Single(entry.RootElement.GetProperty("endpoints").EnumerateArray());
        Assert.Equal(
            """{"address":"192.0.2.10","port":8443,"locality":{"region":"eu-west1","zone":"eu-west1-a","subZone":""},"health":"HEALTHY","cluster":"Kubernetes","network":null,"workload":null,"node":null}""",
            Assert.Single(payments.GetProperty("endpoints").EnumerateArray()).GetRawText());

        using var all = await GetJsonAsync("/debug/endpointz");
        Assert.Equal(2, all.RootElement.GetProperty("endpoints").GetArrayLength());
        Assert.False(all.RootElement.GetProperty("truncated").GetBoolean());

        using var bounded = await GetJsonAsync("/debug/endpointz?limit=2");
        Assert.True(bounded.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(2, bounded.RootElement.GetProperty("endpoints").EnumerateArray().Sum(g => g.GetProperty("endpoints").GetArrayLength()));

        using var none = await GetJsonAsync("/debug/endpointz?hostname=nothing.example");
        Assert.Equal(0, none.RootElement.GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public async Task Configz_ListsTheAcceptedObjectsWithTheirSpecs_AndTheSecretByNameOnly()
    {
        var text = await _http.GetStringAsync(Url("/debug/configz"));
        using var json = JsonDocument.Parse(text);
        var configs = json.RootElement.GetProperty("configs").EnumerateArray().ToList();
        Assert.Equal(
            ["EndpointSlice shop/reviews-abc", "Service shop/reviews", "ServiceEntry shop/payments", "VirtualService shop/reviews-route", "Secret shop/shop-cert"],
            configs.Select(c => $"{c.GetProperty("kind").GetString()} {c.GetProperty("namespace").GetString()}/{c.GetProperty("name").GetString()}"));
        Assert.All(configs, c =>
        {
            Assert.Equal(["kind", "namespace", "name", "cluster", "spec"], c.EnumerateObject().Select(p => p.Name));
            Assert.Equal(MeshNames.DefaultClusterId, c.GetProperty("cluster").GetString());
        });
        var service = configs[1].GetProperty("spec");
        Assert.Equal("10.96.0.20", service.GetProperty("clusterIp").GetString());
        Assert.Equal(9080, service.GetProperty("ports")[0].GetProperty("port").GetInt32());
        Assert.Equal(Reviews, configs[3].GetProperty("spec").GetProperty("hosts")[0].GetString());
        Assert.Equal(JsonValueKind.Null, configs[4].GetProperty("spec").ValueKind);

        // Not the key, not the certificate, not even a line of either.
        AssertNoCredential(text);

        using var bounded = await GetJsonAsync("/debug/configz?limit=2");
        Assert.True(bounded.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(2, bounded.RootElement.GetProperty("configs").GetArrayLength());
    }

    [Fact]
    public async Task ConnectionsAndPushStatus_ShowTheConnectedSidecar_AndThePushThatReachedIt()
    {
        await using var sidecar = AdsTestClient.Connect(_server.XdsPort, SidecarNode, metadata: ShopMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        var clusters = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        await sidecar.AckAsync(clusters);

        JsonElement client = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var json = await GetJsonAsync("/debug/connections");
                var found = json.RootElement.GetProperty("clients").EnumerateArray().Where(c => c.GetProperty("nodeId").GetString() == SidecarNode).ToList();
                client = found.Count == 1 ? found[0].Clone() : default;
                return found.Count == 1 && found[0].GetProperty("types").EnumerateArray().Any(t => t.GetProperty("status").GetString() == "SYNCED");
            },
            TimeSpan.FromSeconds(10),
            "the sidecar's CDS SYNCED in /debug/connections");
        Assert.Equal(
            ["connectionId", "nodeId", "address", "protocol", "connectedAt", "scope", "kind", "types"],
            client.EnumerateObject().Select(p => p.Name));
        Assert.NotEmpty(client.GetProperty("connectionId").GetString()!);
        Assert.NotEmpty(client.GetProperty("address").GetString()!);
        Assert.Equal("ADS SotW", client.GetProperty("protocol").GetString());
        Assert.Equal("Sidecar", client.GetProperty("kind").GetString());
        var cds = Assert.Single(client.GetProperty("types").EnumerateArray(), t => t.GetProperty("typeUrl").GetString() == TypeUrls.Cluster);
        Assert.Equal(clusters.VersionInfo, cds.GetProperty("sent").GetString());
        Assert.Equal(clusters.VersionInfo, cds.GetProperty("acked").GetString());
        var layers = client.GetProperty("scope").GetString()!.Split('+');

        // A change of the sidecar's mesh reaches a cache its scope is built on and wakes its stream.
        await _server.WriteConfigAsync("more.yaml", MeshYaml.Service("ratings", 9090, "shop"));
        JsonElement push = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var json = await GetJsonAsync("/debug/push_status");
                var found = json.RootElement.GetProperty("pushes").EnumerateArray().FirstOrDefault(p => layers.Contains(p.GetProperty("scope").GetString()) && p.GetProperty("streams").GetInt32() >= 1 && p.GetProperty("listeners").GetInt32() >= 1);
                push = found.ValueKind == JsonValueKind.Undefined ? default : found.Clone();
                return push.ValueKind != JsonValueKind.Undefined;
            },
            TimeSpan.FromSeconds(10),
            $"a push to a layer of the sidecar's scope ({string.Join(", ", layers)}) in /debug/push_status");
        Assert.Equal(
            ["time", "scope", "fromEpoch", "epoch", "changed", "removed", "byType", "durationSeconds", "listeners", "streams"],
            push.EnumerateObject().Select(p => p.Name));
        Assert.True(push.GetProperty("epoch").GetInt64() > push.GetProperty("fromEpoch").GetInt64());
        Assert.True(push.GetProperty("changed").GetInt32() + push.GetProperty("removed").GetInt32() > 0);
        Assert.True(push.GetProperty("durationSeconds").GetDouble() >= 0);
        Assert.True(push.GetProperty("byType").EnumerateObject().Any());

        using var status = await GetJsonAsync("/debug/push_status");
        Assert.True(status.RootElement.GetProperty("totalPushes").GetInt64() >= 1);
        Assert.True(status.RootElement.GetProperty("responses").GetInt64() >= 1);
        var type = Assert.Single(status.RootElement.GetProperty("types").EnumerateArray(), t => t.GetProperty("typeUrl").GetString() == TypeUrls.Cluster);
        Assert.Equal(0, type.GetProperty("nacked").GetInt32());
        Assert.True(type.GetProperty("sent").GetInt32() >= 1);
    }

    [Theory]
    [InlineData("/debug/registryz?limit=-1", "limit must be")]
    [InlineData("/debug/registryz?limit=abc", "limit must be")]
    [InlineData("/debug/configz?limit=0", "limit must be")]
    [InlineData("/debug/endpointz?limit=100001", "limit must be")]
    [InlineData("/debug/connections?limit=x", "limit must be")]
    [InlineData("/debug/endpointz?hostname=", "hostname must be")]
    [InlineData("/debug/endpointz?hostname=a&hostname=b", "hostname must be")]
    public async Task ABadQuery_Is400_WithTheReason(string path, string reason)
    {
        var response = await _http.GetAsync(Url(path));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostnameLongerThanADnsName_Is400_AndOneOfAMegabyteIsRefused_WhileTheEndpointCarriesOn()
    {
        var longName = await _http.GetAsync(Url("/debug/endpointz?hostname=" + new string('h', 300)));
        Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        Assert.Contains("at most 253", await longName.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // 1 MB: Kestrel's request-line limit (8 KB) refuses it before the endpoint runs; never a 5xx.
        var huge = await _http.GetAsync(Url("/debug/endpointz?hostname=" + new string('h', 1024 * 1024)));
        Assert.InRange((int)huge.StatusCode, 400, 499);

        using var after = await GetJsonAsync("/debug/endpointz?hostname=" + Reviews);
        Assert.Equal(1, after.RootElement.GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public async Task NoDebugPage_CarriesTheSecretsKey()
    {
        foreach (var path in new[] { "/debug/registryz", "/debug/endpointz", "/debug/configz", "/debug/push_status", "/debug/connections", "/debug/config", "/debug/syncz" })
        {
            var response = await _http.GetAsync(Url(path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            AssertNoCredential(await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ScaledOut_AFrontendAnswersTheRegistryThroughItsOrleansClient_AndASiloHasNoFrontendPages()
    {
        await using var redis = await RedisServer.StartAsync();
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        await using var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path, .. deployment], expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend", .. deployment], expectXds: true);
        using var toFrontend = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{frontend.DebugPort}") };
        using var toSilo = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.DebugPort}") };

        foreach (var http in new[] { toFrontend, toSilo })
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    var response = await http.GetAsync("/debug/registryz");
                    return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Contains("\"a.default.svc.cluster.local\"", StringComparison.Ordinal);
                },
                TimeSpan.FromSeconds(60),
                $"a.default in {http.BaseAddress}debug/registryz");
        }

        Assert.Equal(HttpStatusCode.OK, (await toFrontend.GetAsync("/debug/push_status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await toFrontend.GetAsync("/debug/connections")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await toSilo.GetAsync("/debug/push_status")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await toSilo.GetAsync("/debug/connections")).StatusCode);
    }

    private void AssertNoCredential(string text)
    {
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.DoesNotContain(_credential.Key.Split('\n')[1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(_credential.Certificate.Split('\n')[1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(_credential.Key))[..40], text, StringComparison.Ordinal);
    }

    private static Google.Protobuf.WellKnownTypes.Struct ShopMetadata()
    {
        var metadata = new Google.Protobuf.WellKnownTypes.Struct();
        metadata.Fields["NAMESPACE"] = Google.Protobuf.WellKnownTypes.Value.ForString("shop");
        return metadata;
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        var response = await _http.GetAsync(Url(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private string Url(string path) => $"http://127.0.0.1:{_server.DebugPort}{path}";
}
