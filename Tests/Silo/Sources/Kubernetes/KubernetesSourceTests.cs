using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Silo.Sources.Kubernetes;

/// <summary>
/// The control plane reading live member clusters: the real host, the real KubernetesClient and
/// a kubeconfig pointing at the in-process fake of the Kubernetes API (TLS, bearer token, list,
/// watch, bookmarks, 410, outages). Changes must reach an open ADS stream.
/// </summary>
public sealed class KubernetesSourceTests : IAsyncLifetime
{
    private const string Echo = "echo.shop.svc.cluster.local";
    private static readonly string s_echoCluster = $"outbound|7000||{Echo}";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _files = new();
    private readonly List<FakeKubernetesApi> _apis = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var api in _apis)
        {
            await api.DisposeAsync();
        }

        _files.Dispose();
    }

    [Fact]
    public async Task ServiceSliceAndVirtualService_AddedUpdatedAndDeleted_ReachAnOpenStream()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply(MeshYaml.Slice("echo-1", "echo", 17000, [("127.0.0.1", true)], "shop"));
        await using var server = await ServerAsync(("east", api));
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Contains(s_echoCluster));
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_echoCluster]);
        var endpoints = await client.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment, s_wait);
        Assert.Equal(["127.0.0.1:17000"], Addresses(endpoints));
        await client.AckAsync(endpoints, [s_echoCluster]);

        api.Apply(MeshYaml.Slice("echo-1", "echo", 17000, [("127.0.0.1", true), ("127.0.0.2", true)], "shop"));
        var moved = await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).Count == 2, [s_echoCluster]);
        Assert.Equal(["127.0.0.1:17000", "127.0.0.2:17000"], Addresses(moved));

        api.Apply("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo, namespace: shop}
            spec:
              hosts: [echo]
              http: [{name: pinned, route: [{destination: {host: echo}}], timeout: 3s}]
            """);
        await client.SendAsync(TypeUrls.RouteConfiguration, [$"{Echo}:7000"]);
        await WaitForAsync(client, TypeUrls.RouteConfiguration, r => Names<RouteConfiguration>(r).Count == 1
            && AdsTestClient.Unpack<RouteConfiguration>(r)[0].VirtualHosts[0].Routes[0].Name == "pinned", [$"{Echo}:7000"]);

        api.Delete("Service", "shop", "echo");
        await WaitForAsync(client, TypeUrls.Cluster, r => !Names<Cluster>(r).Contains(s_echoCluster));

        // The watch events are counted as Istio counts them (pilot_k8s_reg_events), and the member cluster is up.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("pilot_k8s_reg_events{", StringComparison.Ordinal) && l.Contains("type=\"Service\"", StringComparison.Ordinal) && l.Contains("event=\"delete\"", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("pilot_k8s_reg_events{", StringComparison.Ordinal) && l.Contains("type=\"EndpointSlice\"", StringComparison.Ordinal) && l.Contains("event=\"update\"", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("mesh_member_cluster_up{", StringComparison.Ordinal) && l.Contains("cluster=\"east\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DestinationRuleAndPods_FromTheApi_ServeSubsetClusters_AndAPodRelabelledMovesItsEndpoint()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply(MeshYaml.SliceOfPods("echo-1", "echo", 17000, "shop", ("127.0.0.1", "echo-a"), ("127.0.0.2", "echo-b")));
        api.Apply(MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.1"));
        api.Apply(MeshYaml.Pod("echo-b", "shop", "v2", "127.0.0.2"));
        api.Apply(MeshYaml.SubsetRule("echo", "echo", "shop", "v1", "v2"));
        await using var server = await ServerAsync(("east", api));
        string[] subsets = [$"outbound|7000|v1|{Echo}", $"outbound|7000|v2|{Echo}"];
        await using var client = await ClusterStreamAsync(server, r => subsets.All(Names<Cluster>(r).Contains));
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [subsets[0]]);
        await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).SequenceEqual(["127.0.0.1:17000"]), [subsets[0]]);

        api.Apply(MeshYaml.Pod("echo-b", "shop", "v1", "127.0.0.2"));

        await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).SequenceEqual(["127.0.0.1:17000", "127.0.0.2:17000"]), [subsets[0]]);
    }

    [Fact]
    public async Task PeerAuthenticationAndAuthorizationPolicy_FromTheApi_ShapeTheWorkloadsInboundSide_AndAnInvalidOneIsRejected()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply(MeshYaml.SliceOfPods("echo-1", "echo", 17000, "shop", ("127.0.0.1", "echo-a")));
        api.Apply("apiVersion: v1\nkind: Pod\nmetadata: {name: echo-a, namespace: shop, labels: {app: echo, security.istio.io/tlsMode: istio}}\nstatus: {podIP: 127.0.0.1, phase: Running}");
        api.Apply("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec: {mtls: {mode: STRICT}}");
        api.Apply("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: web-only, namespace: shop}\nspec: {rules: [{from: [{source: {namespaces: [web]}}]}]}");
        api.Apply("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: broken, namespace: shop}\nspec: {portLevelMtls: {17000: {mode: DISABLE}}}");
        await using var server = await ServerAsync(("east", api));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        await Eventually.TrueAsync(
            async () =>
            {
                var metadata = Mesh.Orleans.Tests.EndToEnd.SidecarServingTests.SidecarMetadata("shop");
                metadata.Fields["CLUSTER_ID"] = Google.Protobuf.WellKnownTypes.Value.ForString("east");
                await using var sidecar = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~echo-a.shop~shop.svc.cluster.local", metadata: metadata);
                var inbound = (await Infrastructure.Simulation.AdsProxyConfig.FetchAsync(sidecar)).Listeners.SingleOrDefault(l => l.Name == "virtualInbound");
                var chain = inbound?.FilterChains.FirstOrDefault(c => c.FilterChainMatch?.DestinationPort == 17000);
                return chain?.TransportSocket is not null && chain.FilterChainMatch.TransportProtocol == "tls"
                    && chain.Filters[0].TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>().HttpFilters[0].Name == "envoy.filters.http.rbac";
            },
            s_wait,
            "the workload takes mutual TLS only, behind its AuthorizationPolicy");

        var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");
        var rejected = config!["clusters"]!.AsArray().Single(c => (string)c!["clusterId"]! == "east")!["rejected"]!.AsArray().Single()!;
        Assert.Equal(("PeerAuthentication", "broken", "spec.portLevelMtls"), ((string)rejected["kind"]!, (string)rejected["name"]!, (string)rejected["field"]!));
    }

    [Fact]
    public async Task TlsSecrets_FromTheApi_AreHeldForGateways_OtherSecretsAreIgnored_AndABrokenOneIsRejectedWithoutItsKey()
    {
        var api = await ApiAsync();
        var credential = Xds.Frontend.Security.GatewayCredentialServingTests.Credential("bookinfo.example");
        api.Apply(Xds.Frontend.Security.GatewayCredentialServingTests.TlsSecret("istio-system", "ingress-cert", credential));
        api.Apply("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata: {name: default-token, namespace: shop}\ndata: {token: dG9rZW4=}");
        api.Apply("apiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata: {name: app-settings, namespace: shop}\nstringData: {password: hunter2}");
        api.Apply(HelmRelease(1));
        var other = Xds.Frontend.Security.GatewayCredentialServingTests.Credential("other.example");
        api.Apply(Xds.Frontend.Security.GatewayCredentialServingTests.TlsSecret("istio-system", "mismatched", credential with { Key = other.Key }));
        await using var server = await ServerAsync(("east", api));
        var cluster = server.Services.GetRequiredService<IGrainFactory>().GetGrain<IClusterGrain>("east");

        await Eventually.TrueAsync(async () => (await cluster.GetSecretAsync("istio-system", "ingress-cert")).Secret is not null, s_wait, "the TLS Secret is held");
        var held = (await cluster.GetSecretAsync("istio-system", "ingress-cert")).Secret!;
        Assert.Equal((credential.Certificate, credential.Key, credential.Ca), (held.CertificateChain, held.PrivateKey, held.CaCertificates));
        Assert.Null((await cluster.GetSecretAsync("shop", "default-token")).Secret);
        Assert.Null((await cluster.GetSecretAsync("istio-system", "mismatched")).Secret);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        var page = await http.GetStringAsync("/debug/config");
        var rejected = JsonNode.Parse(page)!["clusters"]!.AsArray().Single(c => (string)c!["clusterId"]! == "east")!["rejected"]!.AsArray().Single()!;
        Assert.Equal(("Secret", "mismatched"), ((string)rejected["kind"]!, (string)rejected["name"]!));
        Assert.DoesNotContain(other.Key.Split('\n')[1], page, StringComparison.Ordinal);
        Assert.DoesNotContain(credential.Key.Split('\n')[1], page, StringComparison.Ordinal);

        // A rotation through the API reaches the grain; the Helm release written just before it does not.
        api.Apply(HelmRelease(2));
        var rotated = Xds.Frontend.Security.GatewayCredentialServingTests.Credential("bookinfo.example");
        api.Apply(Xds.Frontend.Security.GatewayCredentialServingTests.TlsSecret("istio-system", "ingress-cert", rotated));
        await Eventually.TrueAsync(async () => (await cluster.GetSecretAsync("istio-system", "ingress-cert")).Secret?.CertificateChain == rotated.Certificate, s_wait, "the rotated Secret is held");

        // Secrets are listed and watched with Istio's field selector, so neither the service-account
        // token nor a Helm release ever reaches the source: it holds the other three Secrets only.
        var secretRequests = api.Requests.Where(r => r.Path == "/api/v1/secrets").ToList();
        Assert.Contains(secretRequests, r => !r.IsWatch && r.StatusCode == 200);
        Assert.Contains(secretRequests, r => r.IsWatch && r.StatusCode == 200);
        Assert.All(secretRequests, r => Assert.Contains("fieldSelector=" + ResourceKinds.SecretsFieldSelector, r.Query.Select(Uri.UnescapeDataString)));
        Assert.Equal(3, (int)(await ClusterzAsync(http, "east"))["objects"]!["Secret"]!);
    }

    [Fact]
    public async Task DeletionMissedWhileTheWatchWasDown_IsRepairedByThe410Relist()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply(MeshYaml.Service("gone", 7001, "shop"));
        await using var server = await ServerAsync(("east", api));
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Count == 2);

        // The watch goes down; the deletion happens and its event is compacted away before it returns.
        api.SetDown(true);
        api.Delete("Service", "shop", "gone");
        api.Compact();
        api.ClearRequests();
        api.SetDown(false);

        await WaitForAsync(client, TypeUrls.Cluster, r => Names<Cluster>(r).SequenceEqual([s_echoCluster]));
        // Listed again after the outage: the watch from the old version got 410, as nothing else relists within 10 min.
        Assert.Contains(api.Requests, r => r.Path == "/api/v1/services" && !r.IsWatch && r.StatusCode == 200);
    }

    [Fact]
    public async Task DroppedWatch_IsResumed_AndLaterChangesArrive()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        await using var server = await ServerAsync(("east", api));
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Count == 1);

        api.DropWatches();
        api.Apply(MeshYaml.Service("late", 7001, "shop"));

        await WaitForAsync(client, TypeUrls.Cluster, r => Names<Cluster>(r).Count == 2);
    }

    [Fact]
    public async Task EventMissedWithoutATrace_IsRepairedByThePeriodicResync()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply(MeshYaml.Service("stale", 7001, "shop"));
        await using var server = await ServerWithAsync([("east", api)], new() { ["Mesh:Kubernetes:ResyncInterval"] = "00:00:02" });
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Count == 2);

        // Gone from the API, and no watch will ever say so: only a relist finds out.
        api.DeleteSilently("Service", "shop", "stale");

        await WaitForAsync(client, TypeUrls.Cluster, r => Names<Cluster>(r).SequenceEqual([s_echoCluster]));
    }

    [Fact]
    public async Task UnreachableCluster_KeepsItsEndpointsAndShowsStale_ThenRecoversByItself()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        await using var server = await ServerAsync(("east", api));
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Count == 1);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        await Eventually.TrueAsync(async () => (bool)(await ClusterzAsync(http, "east"))["connected"]!, s_wait, "east is connected");

        api.SetDown(true);
        JsonObject stale = [];
        await Eventually.TrueAsync(async () =>
        {
            stale = await ClusterzAsync(http, "east");
            return !(bool)stale["connected"]! && ((string?)stale["error"] ?? string.Empty).Contains("503", StringComparison.Ordinal);
        }, s_wait, "east shows as not connected, the API answering 503");

        Assert.NotNull((string?)stale["lastContact"]);
        Assert.Contains(s_echoCluster, server.Cache.Current.Of(TypeUrls.Cluster).Keys);
        Assert.True(await client.NothingWithinAsync(TimeSpan.FromMilliseconds(500)), "the stream was sent a change while the cluster was down");

        api.SetDown(false);
        api.Apply(MeshYaml.Service("later", 7001, "shop"));
        await WaitForAsync(client, TypeUrls.Cluster, r => Names<Cluster>(r).Count == 2);
        Assert.True((bool)(await ClusterzAsync(http, "east"))["connected"]!);
    }

    [Fact]
    public async Task InvalidObjectFromTheApi_IsRejectedWithItsField_AndItsLastGoodVersionKeepsServing()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        await using var server = await ServerAsync(("east", api));
        await using var client = await ClusterStreamAsync(server, r => Names<Cluster>(r).Count == 1);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        api.Apply("apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: shop}\nspec: {ports: [{name: grpc, port: 70000}]}");
        JsonObject? rejection = null;
        await Eventually.TrueAsync(async () =>
        {
            var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");
            rejection = config!["clusters"]!.AsArray().Single(c => (string)c!["clusterId"]! == "east")!["rejected"]!.AsArray().FirstOrDefault()?.AsObject();
            return rejection is not null;
        }, s_wait, "the invalid Service is listed as rejected");

        Assert.Equal(("Service", "shop", "echo", "spec.ports[0].port", true), ((string)rejection!["kind"]!, (string)rejection["namespace"]!, (string)rejection["name"]!, (string)rejection["field"]!, (bool)rejection["keptLastGood"]!));
        Assert.Contains(s_echoCluster, server.Cache.Current.Of(TypeUrls.Cluster).Keys);
    }

    [Fact]
    public async Task CrdNotInstalled_IsSkippedWithItsState_AndTheOtherKindsServe()
    {
        var api = await ApiAsync(new FakeKubernetesApiOptions { CustomResourcesInstalled = false });
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        await using var server = await ServerAsync(("east", api));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        await Eventually.TrueAsync(() => server.Cache.Current.Of(TypeUrls.Cluster).ContainsKey(s_echoCluster), s_wait, "the Service is served");
        await Eventually.TrueAsync(async () => (string?)(await ClusterzAsync(http, "east"))["kinds"]!["networking.istio.io/v1 VirtualService"] == "not installed", s_wait, "the CRD shows as not installed");
        Assert.True((bool)(await ClusterzAsync(http, "east"))["connected"]!);
    }

    [Fact]
    public async Task ServiceInTwoMemberClusters_IsOneHostnameWithTheEndpointsOfBoth()
    {
        var (east, west) = await EchoInTwoClustersAsync();
        await using var server = await ServerAsync(("east", east), ("west", west));
        await using var client = AdsTestClient.Connect(server.XdsPort);

        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_echoCluster]);
        var endpoints = await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).Count == 2, [s_echoCluster]);

        Assert.Equal(["127.0.0.1:17000", "127.0.0.2:17000"], Addresses(endpoints));
        var origins = AdsTestClient.Unpack<ClusterLoadAssignment>(endpoints).SelectMany(a => a.Endpoints).SelectMany(l => l.LbEndpoints)
            .ToDictionary(e => e.Endpoint.Address.SocketAddress.Address, e => e.Metadata.FilterMetadata["istio"].Fields["workload"].StringValue);
        Assert.Equal(";shop;echo;latest;east", origins["127.0.0.1"]);
        Assert.Equal(";shop;echo;latest;west", origins["127.0.0.2"]);
        west.Delete("EndpointSlice", "shop", "echo-west");
        await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).SequenceEqual(["127.0.0.1:17000"]), [s_echoCluster]);
    }

    [Fact]
    public async Task ServiceInThreeMemberClusters_HasTheEndpointsOfAll_AndThePortsOfTheFirstClusterById()
    {
        var (east, west) = await EchoInTwoClustersAsync();
        var north = await ApiAsync();

        // North sorts between east and west, and declares another port: east's (first by id) stands.
        north.Apply(MeshYaml.Service("echo", 7100, "shop"));
        north.Apply(MeshYaml.Slice("echo-north", "echo", 17000, [("127.0.0.3", true)], "shop", zone: "r3/c"));
        await using var server = await ServerAsync(("east", east), ("north", north), ("west", west));
        await using var client = AdsTestClient.Connect(server.XdsPort);

        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_echoCluster]);
        var endpoints = await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Addresses(r).Count == 3, [s_echoCluster]);
        Assert.Equal(["127.0.0.1:17000", "127.0.0.2:17000", "127.0.0.3:17000"], Addresses(endpoints));

        // East's Service goes: north is now the first by id with it, and its port defines the service.
        east.Delete("Service", "shop", "echo");
        await using var clusters = await ClusterStreamAsync(server, r => Names<Cluster>(r).SequenceEqual(["outbound|7100||echo.shop.svc.cluster.local"]));
    }

    [Fact]
    public async Task TwoDeploymentsGivenTheSameClustersFile_ServeIdenticalVersions_SoADeltaClientMovesWithoutAResync()
    {
        var (east, west) = await EchoInTwoClustersAsync();
        west.Apply(MeshYaml.Service("other", 7001, "shop"));

        // Two control planes: separate processes' worth of everything (own Orleans cluster, own frontend).
        await using var first = await ServerAsync(("east", east), ("west", west));
        await using var second = await ServerAsync(("east", east), ("west", west));
        var held = new Dictionary<string, Dictionary<string, string>>();
        foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener, TypeUrls.RouteConfiguration })
        {
            await Eventually.TrueAsync(() => first.Cache.Current.Of(TypeUrls.Cluster).Count == 2 && second.Cache.Current.Of(TypeUrls.Cluster).Count == 2
                && first.Cache.Current.Of(TypeUrls.ClusterLoadAssignment).TryGetValue(s_echoCluster, out var a) && second.Cache.Current.Of(TypeUrls.ClusterLoadAssignment).TryGetValue(s_echoCluster, out var b)
                && a.Version == b.Version, s_wait, "both deployments read both member clusters");
            await using var before = DeltaTestClient.Connect(first.XdsPort);
            await before.SendAsync(typeUrl, subscribe: ["*"]);
            held[typeUrl] = (await before.ReceiveAsync(s_wait)).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        var received = new List<string>();
        await using var after = DeltaTestClient.Connect(second.XdsPort);
        foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener, TypeUrls.RouteConfiguration })
        {
            await after.SendAsync(typeUrl, subscribe: ["*"], initialVersions: held[typeUrl]);
            var response = await after.ReceiveAsync(s_wait);
            received.AddRange(response.Resources.Select(r => r.Name));
            received.AddRange(response.RemovedResources);
        }

        Assert.All(held.Values, h => Assert.Equal(2, h.Count));
        Assert.Empty(received);
    }

    [Fact]
    public async Task EndpointWithoutAZone_TakesTheClustersDefaultLocality_ThenItsNodesLabelsWhenTheNodeArrives()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: echo-1, namespace: shop, labels: {kubernetes.io/service-name: echo}}
            addressType: IPv4
            ports: [{name: grpc, port: 17000}]
            endpoints: [{addresses: ["127.0.0.1"], nodeName: node-1}]
            """);
        await using var server = await ServerWithAsync([("east", api)], [], "  region: us-east1\n  zone: us-east1-b\n");
        await using var client = AdsTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, [s_echoCluster]);

        await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Localities(r).SequenceEqual(["us-east1/us-east1-b"]), [s_echoCluster]);
        api.Apply("apiVersion: v1\nkind: Node\nmetadata: {name: node-1, labels: {topology.kubernetes.io/region: eu-west1, topology.kubernetes.io/zone: eu-west1-c}}");
        await WaitForAsync(client, TypeUrls.ClusterLoadAssignment, r => Localities(r).SequenceEqual(["eu-west1/eu-west1-c"]), [s_echoCluster]);
    }

    private static List<string> Localities(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
        AdsTestClient.Unpack<ClusterLoadAssignment>(response).SelectMany(a => a.Endpoints).Select(l => $"{l.Locality.Region}/{l.Locality.Zone}").ToList();

    [Fact]
    public async Task HostileCustomObjectsFromTheApi_AreRejectedWithReasons_AndEverythingElseKeepsServing()
    {
        var api = await ApiAsync();
        api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"typed","namespace":"shop"},"spec":"not a mapping"}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"huge","namespace":"shop"},"spec":{"hosts":["echo"],"http":[{"route":[{"destination":{"host":"echo"},"weight":99999999999999999999}]}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"bad-host","namespace":"shop"},"spec":{"hosts":["\u0000\uFFFF"],"http":[{"route":[{"destination":{"host":"echo"}}]}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"edge","namespace":"shop"},"spec":{"hosts":["echo"],"gateways":["ingress"],"http":[{"route":[{"destination":{"host":"echo"}}]}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"echo","namespace":"shop"},"spec":{"host":"echo","subsets":[{"name":"v1","labels":{"version":"v1"}}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"twice","namespace":"shop"},"spec":{"host":"echo","subsets":[{"name":"v1"},{"name":"v1"}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"ingress","namespace":"shop"},"spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*"]}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"mutual","namespace":"shop"},"spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["a.example.com"],"tls":{"mode":"MUTUAL","credentialName":"cert"}}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"external","namespace":"shop"},"spec":{"hosts":["api.example.com"],"ports":[{"number":443,"name":"tls","protocol":"TLS"}],"resolution":"DNS"}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"wildcard","namespace":"shop"},"spec":{"hosts":["*"],"ports":[{"number":99999999999999999999,"name":"tls"}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"Sidecar","metadata":{"name":"scoped","namespace":"shop"},"spec":{"egress":[{"hosts":["./*","istio-system/*"]}]}}""");
        api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"Sidecar","metadata":{"name":"scoped-bad","namespace":"shop"},"spec":{"egress":[{"port":{"number":1e99},"hosts":["*"]}]}}""");
        await using var server = await ServerAsync(("east", api));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        JsonArray rejected = [];
        await Eventually.TrueAsync(async () =>
        {
            var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");
            rejected = config!["clusters"]!.AsArray().Single(c => (string)c!["clusterId"]! == "east")!["rejected"]!.AsArray();
            return rejected.Count == 7;
        }, s_wait, "the three hostile VirtualServices and the invalid DestinationRule, Gateway, ServiceEntry and Sidecar are rejected");

        Assert.Equal(["bad-host", "huge", "mutual", "scoped-bad", "twice", "typed", "wildcard"], rejected.Select(r => (string)r!["name"]!).Order(StringComparer.Ordinal));
        Assert.Equal("spec.egress[0].port.number", (string?)rejected.Single(r => (string)r!["name"]! == "scoped-bad")!["field"]);
        Assert.Contains("spec.egress[0].hosts[0]", (string?)rejected.Single(r => (string)r!["name"]! == "scoped-bad")!["reason"], StringComparison.Ordinal);
        Assert.Equal("spec.subsets[1].name", (string?)rejected.Single(r => (string)r!["name"]! == "twice")!["field"]);
        Assert.Equal("spec.servers[0].tls.mode", (string?)rejected.Single(r => (string)r!["name"]! == "mutual")!["field"]);
        Assert.Equal("spec.hosts[0]", (string?)rejected.Single(r => (string)r!["name"]! == "wildcard")!["field"]);
        Assert.Contains("spec.ports[0].number", (string?)rejected.Single(r => (string)r!["name"]! == "wildcard")!["reason"], StringComparison.Ordinal);
        Assert.All(rejected, r => Assert.False(string.IsNullOrEmpty((string?)r!["reason"])));
        await Eventually.TrueAsync(() => server.Cache.Current.Of(TypeUrls.Cluster).ContainsKey(s_echoCluster), s_wait, "the Service beside them is served");
        var east = (await http.GetFromJsonAsync<JsonObject>("/debug/config"))!["clusters"]!.AsArray().Single(c => (string)c!["clusterId"]! == "east")!;
        Assert.DoesNotContain(east["ignored"]!.AsArray(), l => ((string)l!).StartsWith("VirtualService", StringComparison.Ordinal));
        Assert.DoesNotContain(east["ignored"]!.AsArray(), l => ((string)l!).StartsWith("Gateway", StringComparison.Ordinal));
        Assert.DoesNotContain(east["ignored"]!.AsArray(), l => ((string)l!).StartsWith("ServiceEntry", StringComparison.Ordinal));
        Assert.DoesNotContain(east["ignored"]!.AsArray(), l => ((string)l!).StartsWith("Sidecar", StringComparison.Ordinal));
        Assert.DoesNotContain(east["warnings"]!.AsArray(), w => (string)w!["kind"]! == "Sidecar" && (string)w["name"]! == "scoped"); // applied whole
        await Eventually.TrueAsync(() => server.Cache.Current.Of(TypeUrls.Cluster).ContainsKey("outbound|443||api.example.com"), s_wait, "the valid ServiceEntry's host is served");
        Assert.DoesNotContain(east["ignored"]!.AsArray(), l => ((string)l!).StartsWith("DestinationRule", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => server.Cache.Current.Of(TypeUrls.Cluster).ContainsKey("outbound|7000|v1|echo.shop.svc.cluster.local"), s_wait, "the valid DestinationRule's subset is served");
        Assert.True((bool)(await ClusterzAsync(http, "east"))["connected"]!);
    }

    /// <summary>Two member clusters' APIs, each with the echo Service and one endpoint of it (127.0.0.1 in r1/a, 127.0.0.2 in r2/b).</summary>
    private async Task<(FakeKubernetesApi East, FakeKubernetesApi West)> EchoInTwoClustersAsync()
    {
        var east = await ApiAsync();
        var west = await ApiAsync();
        east.Apply(MeshYaml.Service("echo", 7000, "shop"));
        east.Apply(MeshYaml.Slice("echo-east", "echo", 17000, [("127.0.0.1", true)], "shop", zone: "r1/a"));
        west.Apply(MeshYaml.Service("echo", 7000, "shop"));
        west.Apply(MeshYaml.Slice("echo-west", "echo", 17000, [("127.0.0.2", true)], "shop", zone: "r2/b"));
        return (east, west);
    }

    private static string HelmRelease(int version) =>
        $"apiVersion: v1\nkind: Secret\ntype: helm.sh/release.v1\nmetadata: {{name: sh.helm.release.v1.bookinfo.v{version}, namespace: shop}}\ndata: {{release: SDRzSQ==}}";

    private async Task<FakeKubernetesApi> ApiAsync(FakeKubernetesApiOptions? options = null)
    {
        var api = await FakeKubernetesApi.StartAsync(options);
        _apis.Add(api);
        return api;
    }

    private Task<MeshServer> ServerAsync(params (string Id, FakeKubernetesApi Api)[] clusters) => ServerWithAsync(clusters, []);

    private async Task<MeshServer> ServerWithAsync((string Id, FakeKubernetesApi Api)[] clusters, Dictionary<string, string?> settings, string entryExtra = "")
    {
        var entries = new List<string>();
        foreach (var (id, api) in clusters)
        {
            api.WriteKubeconfig(Path.Combine(_files.Path, id + ".kubeconfig"));
            entries.Add($"- id: {id}\n  kubeconfig: {id}.kubeconfig\n{entryExtra}");
        }

        var clustersFile = _files.Write("clusters.yaml", string.Concat(entries));
        settings["Mesh:Kubernetes:ClustersFile"] = clustersFile;
        settings["Mesh:Source:ClusterId"] = "local-files";
        settings["Mesh:Kubernetes:DebounceQuiet"] = "00:00:00.020";
        settings["Mesh:Kubernetes:MinRetryDelay"] = "00:00:00.050";
        settings["Mesh:Kubernetes:MaxRetryDelay"] = "00:00:00.500";
        settings["Mesh:Kubernetes:KeeperInterval"] = "00:00:00.200";
        return await MeshServer.StartAsync(settings: settings);
    }

    /// <summary>An ADS stream subscribed to every cluster, once it has been sent a set that satisfies <paramref name="ready"/>.</summary>
    private static async Task<AdsTestClient> ClusterStreamAsync(MeshServer server, Func<Envoy.Service.Discovery.V3.DiscoveryResponse, bool> ready)
    {
        var client = AdsTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await WaitForAsync(client, TypeUrls.Cluster, ready);
        return client;
    }

    private static async Task<JsonObject> ClusterzAsync(HttpClient http, string id) =>
        (await http.GetFromJsonAsync<JsonArray>("/debug/clusterz"))!.Single(c => (string)c!["id"]! == id)!.AsObject();

    /// <summary>Receives responses of a type (ACKing each) until one satisfies <paramref name="done"/>.</summary>
    private static async Task<Envoy.Service.Discovery.V3.DiscoveryResponse> WaitForAsync(
        AdsTestClient client, string typeUrl, Func<Envoy.Service.Discovery.V3.DiscoveryResponse, bool> done, IEnumerable<string>? names = null)
    {
        Envoy.Service.Discovery.V3.DiscoveryResponse? found = null;
        await Eventually.TrueAsync(async () =>
        {
            var response = await client.ReceiveTypeAsync(typeUrl, s_wait);
            await client.AckAsync(response, names);
            found = done(response) ? response : null;
            return found is not null;
        }, s_wait * 2, $"a {typeUrl} response as expected");
        return found!;
    }

    private static List<string> Names<T>(Envoy.Service.Discovery.V3.DiscoveryResponse response)
        where T : Google.Protobuf.IMessage<T>, new() =>
        AdsTestClient.Unpack<T>(response).Select(m => m switch
        {
            Cluster c => c.Name,
            RouteConfiguration r => r.Name,
            _ => m.ToString() ?? string.Empty,
        }).Order(StringComparer.Ordinal).ToList();

    private static List<string> Addresses(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
        AdsTestClient.Unpack<ClusterLoadAssignment>(response)
            .SelectMany(a => a.Endpoints)
            .SelectMany(l => l.LbEndpoints)
            .Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}")
            .Order(StringComparer.Ordinal)
            .ToList();
}
