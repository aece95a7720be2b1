using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Envoy.Config.Cluster.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Debug;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend.Debug;

/// <summary>
/// <c>GET /debug/config_dump?proxyID=</c> on the debug port of a real control plane: 400 without a
/// proxy, 404 for one not connected here, Envoy's config dump JSON (with <c>@type</c>) for one that
/// is; and, for a proxy that took its workload certificate over SDS on the TLS port, its secrets
/// named but no key anywhere: not in the HTTP dump, the ADS dump, CSDS or syncz.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ConfigDumpEndpointTests : IAsyncLifetime
{
    private const string ShopToken = "shop-web-token-0123456789abcdef";
    private const string ShopNode = "sidecar~10.0.0.5~web-1.shop~shop.svc.cluster.local";
    private const string ClientNode = "sidecar~10.9.2.1~reader-0.shop~shop.svc.cluster.local";

    private readonly TempDirectory _tokens = new();
    private readonly HttpClient _http = new();
    private MeshServer _server = null!;
    private X509Certificate2 _root = null!;

    public async Task InitializeAsync()
    {
        var tokenFile = Path.Combine(_tokens.Path, "tokens");
        await File.WriteAllTextAsync(tokenFile, $"{ShopToken} shop web\n");
        _server = await MeshServer.StartAsync(
            new Dictionary<string, string> { ["shop.yaml"] = MeshYaml.Service("web", 8080, "shop") },
            new Dictionary<string, string?> { ["Mesh:Security:TokenFile"] = tokenFile });
        _root = _server.Services.GetRequiredService<MeshTls>().Root;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _tokens.Dispose();
    }

    [Fact]
    public async Task ConfigDump_WithoutAProxy_Is400_ForOneNotHere_404_AndAHugeProxyIdIsRefused_WhileTheEndpointCarriesOn()
    {
        var missing = await _http.GetAsync(Url(string.Empty));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("You must provide a proxyID", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var unknown = await _http.GetAsync(Url("?proxyID=nobody-0.shop"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("not connected to this control plane instance", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // 1 MB of proxyID: refused by the server's request limits (or not found), never a 5xx.
        var huge = await _http.GetAsync(Url("?proxyID=" + new string('p', 1024 * 1024)));
        Assert.InRange((int)huge.StatusCode, 400, 499);

        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(Url("?proxyID="))).StatusCode);
    }

    [Fact]
    public async Task ConfigDump_OfAConnectedSidecar_IsEnvoysConfigDumpJson_WithTypesAndTheClustersSent()
    {
        await using var sidecar = AdsTestClient.Connect(_server.XdsPort, ClientNode, metadata: SidecarServingMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        var clusters = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        await sidecar.AckAsync(clusters);

        var response = await _http.GetAsync(Url("?proxyID=reader-0.shop"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var configs = json.RootElement.GetProperty("configs").EnumerateArray().ToList();
        Assert.Equal(
            ["ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump", "SecretsConfigDump"],
            configs.Select(c => c.GetProperty("@type").GetString()!.Split('.')[^1]));
        var dumped = configs[0].GetProperty("dynamic_active_clusters").EnumerateArray().ToList();
        Assert.Equal(
            AdsTestClient.Unpack<Cluster>(clusters).Select(c => c.Name).Order(StringComparer.Ordinal),
            dumped.Select(c => c.GetProperty("cluster").GetProperty("name").GetString()));
        Assert.All(dumped, c =>
        {
            Assert.Equal("type.googleapis.com/envoy.config.cluster.v3.Cluster", c.GetProperty("cluster").GetProperty("@type").GetString());
            Assert.NotEmpty(c.GetProperty("version_info").GetString()!);
            Assert.True(c.TryGetProperty("last_updated", out _));
        });
        Assert.Equal(clusters.VersionInfo, configs[0].GetProperty("version_info").GetString());

        // include_eds adds the endpoints the proxy was sent (none asked here).
        using var withEds = JsonDocument.Parse(await _http.GetStringAsync(Url("?proxyID=reader-0.shop&include_eds")));
        Assert.Equal("type.googleapis.com/envoy.admin.v3.EndpointsConfigDump", withEds.RootElement.GetProperty("configs")[1].GetProperty("@type").GetString());
    }

    [Fact]
    public async Task AProxyThatTookSecretsOnTheTlsPort_HasThemNamed_ButNoKeyInAnyDumpOrStatus()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var proxy = AdsTestClient.Connect(channel, ShopNode, SidecarServingMetadata());
        await proxy.SendAsync(TypeUrls.Cluster);
        await proxy.ReceiveTypeAsync(TypeUrls.Cluster);
        await proxy.SendAsync(TypeUrls.Secret, [ProxySecrets.Default, ProxySecrets.RootCa]);
        var secrets = await proxy.ReceiveTypeAsync(TypeUrls.Secret);
        await proxy.AckAsync(secrets, [ProxySecrets.Default, ProxySecrets.RootCa]);
        var keyPem = AdsTestClient.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.Secret>(secrets).Single(s => s.Name == ProxySecrets.Default).TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8();
        Assert.Contains("PRIVATE KEY", keyPem, StringComparison.Ordinal);
        var keyBody = keyPem.Split('\n')[1];

        // HTTP: the secrets listed by name, version and time.
        var text = await _http.GetStringAsync(Url("?proxyID=web-1.shop"));
        using (var json = JsonDocument.Parse(text))
        {
            var dumped = json.RootElement.GetProperty("configs")[3].GetProperty("dynamic_active_secrets").EnumerateArray().ToList();
            Assert.Equal([ProxySecrets.RootCa, ProxySecrets.Default], dumped.Select(s => s.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
            Assert.All(dumped, s => Assert.False(s.TryGetProperty("secret", out _)));
        }

        // ADS (plaintext, as istioctl asks), CSDS and syncz: nowhere a key.
        await using var istioctl = Istioctl.Connect(_server.XdsPort);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, ["web-1.shop"]));
        var adsDump = await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump);
        Assert.Equal(4, adsDump.Resources.Count);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz, withNode: false));
        var syncz = await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz);
        Assert.Equal(ConfigStatus.Synced, IstioDebugXdsTests.TypeOf(IstioDebugXdsTests.ConfigOf(syncz, ShopNode)!, TypeUrls.Secret)!.ConfigStatus);
        var csds = await new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(channel).FetchClientStatusAsync(new ClientStatusRequest());
        foreach (var carried in new[] { text, adsDump.ToString(), System.Text.Encoding.UTF8.GetString(adsDump.ToByteArray()), syncz.ToString(), csds.ToString() })
        {
            Assert.DoesNotContain("PRIVATE KEY", carried, StringComparison.Ordinal);
            Assert.DoesNotContain(keyBody, carried, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OnTheTlsPort_DebugRequestsAndCsds_NeedAnAuthenticatedCaller()
    {
        using (var anonymous = MeshTlsClient.Channel(_server.XdsTlsPort, _root))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(anonymous).FetchClientStatusAsync(new ClientStatusRequest()));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            await using var istioctl = Istioctl.Connect(anonymous);
            await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz));
            Assert.Equal(StatusCode.Unauthenticated, (await istioctl.WaitForEndAsync()).StatusCode);
        }

        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var authenticated = Istioctl.Connect(channel);
        await authenticated.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz));
        Assert.NotNull((await authenticated.ReceiveTypeAsync(IstioDebugTypes.Syncz)).ControlPlane);
        Assert.NotNull(await new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(channel).FetchClientStatusAsync(new ClientStatusRequest()));
    }

    private static Google.Protobuf.WellKnownTypes.Struct SidecarServingMetadata()
    {
        var metadata = new Google.Protobuf.WellKnownTypes.Struct();
        metadata.Fields["NAMESPACE"] = Google.Protobuf.WellKnownTypes.Value.ForString("shop");
        return metadata;
    }

    private string Url(string query) => $"http://127.0.0.1:{_server.DebugPort}/debug/config_dump{query}";
}
