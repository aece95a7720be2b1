using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend.Security;

/// <summary>
/// A real control plane reading a YAML directory with a Gateway whose HTTPS server names a
/// Kubernetes TLS Secret (<c>credentialName</c>), and gateways and sidecars on the TLS xDS port:
/// the gateway's listener asks for <c>kubernetes://NAME</c> over ADS and gets the Secret's
/// certificate and key, and <c>kubernetes://NAME-cacert</c> its CA; a rotated Secret is pushed;
/// an invalid new version keeps the old one; nothing is served across namespaces, a key never
/// to a sidecar, nothing on the plaintext port; the key is never logged nor on a debug endpoint.
/// </summary>
public sealed class GatewayCredentialServingTests : IAsyncLifetime
{
    private const string GatewayToken = "ingress-gateway-token-0123456789abcdef";
    private const string ShopToken = "shop-web-token-0123456789abcdef";
    private const string GatewayNode = "router~10.0.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local";
    private const string ShopNode = "sidecar~10.0.0.5~web-1.shop~shop.svc.cluster.local";

    private const string Gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [bookinfo.example]
            tls: {mode: MUTUAL, credentialName: bookinfo-cert}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: productpage, namespace: bookinfo}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: bookinfo}
        spec:
          hosts: [bookinfo.example]
          gateways: [istio-system/bookinfo]
          http:
          - route: [{destination: {host: productpage, port: {number: 9080}}}]
        """;

    private readonly TempDirectory _tokens = new();
    private readonly RecordingLogProvider _logs = new();
    private readonly (string Certificate, string Key, string Ca) _first = Credential("bookinfo.example");
    private MeshServer _server = null!;
    private X509Certificate2 _root = null!;

    public async Task InitializeAsync()
    {
        var tokenFile = Path.Combine(_tokens.Path, "tokens");
        await File.WriteAllTextAsync(tokenFile, $"{GatewayToken} istio-system istio-ingressgateway-service-account\n{ShopToken} shop web\n");
        var shopCredential = Credential("shop.example");
        _server = await MeshServer.StartAsync(
            new Dictionary<string, string>
            {
                ["gateway.yaml"] = Gateway,
                ["secret.yaml"] = TlsSecret("istio-system", "bookinfo-cert", _first),
                ["shop.yaml"] = MeshYaml.Service("web", 8080, "shop") + "\n---\n" + TlsSecret("shop", "shop-cert", shopCredential),
            },
            new Dictionary<string, string?>
            {
                ["Mesh:Security:TokenFile"] = tokenFile,
                ["Mesh:Security:CredentialRefreshInterval"] = "00:00:00.200",
                ["Logging:LogLevel:Default"] = "Debug",
            },
            _logs);
        _root = _server.Services.GetRequiredService<MeshTls>().Root;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _tokens.Dispose();
    }

    [Fact]
    public async Task AGateway_GetsTheCredentialItsListenerNames_ThenTheRotatedOne_AndAnInvalidVersionKeepsTheLast()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: GatewayToken);
        await using var client = AdsTestClient.Connect(channel, GatewayNode, GatewayMetadata());

        // The listener names the credential and its CA part over ADS.
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveTypeAsync(TypeUrls.Listener, TimeSpan.FromSeconds(30));
        var chain = AdsTestClient.Unpack<Listener>(listeners).Single(l => l.Name == "0.0.0.0_443").FilterChains.Single();
        var context = chain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>().CommonTlsContext;
        var names = new[] { context.TlsCertificateSdsSecretConfigs.Single().Name, context.CombinedValidationContext.ValidationContextSdsSecretConfig.Name };
        Assert.Equal(["kubernetes://bookinfo-cert", "kubernetes://bookinfo-cert-cacert"], names);

        await client.SendAsync(TypeUrls.Secret, names);
        var response = await client.ReceiveTypeAsync(TypeUrls.Secret);
        var secrets = AdsTestClient.Unpack<Secret>(response).ToDictionary(s => s.Name);
        Assert.Equal(names, secrets.Keys.Order(StringComparer.Ordinal));
        AssertCredential(_first, secrets[names[0]]);

        // No bookinfo-cert-cacert Secret: the CA is bookinfo-cert's own ca.crt, as Istio's GetCaCert falls back.
        Assert.Equal(_first.Ca, secrets[names[1]].ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        await client.AckAsync(response, names);

        // cert-manager renews the Secret: the gateway gets the new one.
        var rotated = Credential("bookinfo.example");
        await _server.WriteConfigAsync("secret.yaml", TlsSecret("istio-system", "bookinfo-cert", rotated));
        var pushed = await client.ReceiveTypeAsync(TypeUrls.Secret, TimeSpan.FromSeconds(30));
        AssertCredential(rotated, AdsTestClient.Unpack<Secret>(pushed).Single(s => s.Name == names[0]));
        await client.AckAsync(pushed, names);

        // A broken version (the key of another certificate) is rejected with a reason, and the last good one stays.
        await _server.WriteConfigAsync("secret.yaml", TlsSecret("istio-system", "bookinfo-cert", rotated with { Key = _first.Key }));
        using var http = new HttpClient();
        await Eventually.TrueAsync(
            async () => (await http.GetStringAsync($"http://127.0.0.1:{_server.DebugPort}/debug/config")).Contains("does not match", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "the broken Secret is rejected");
        await using var later = AdsTestClient.Connect(MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: GatewayToken), GatewayNode, GatewayMetadata());
        await later.SendAsync(TypeUrls.Secret, [names[0]]);
        AssertCredential(rotated, AdsTestClient.Unpack<Secret>(await later.ReceiveTypeAsync(TypeUrls.Secret)).Single());

        // The keys are on no debug endpoint and in no log line.
        foreach (var path in new[] { "syncz", "config", "clusterz", "scopez", "scopes", "stats" })
        {
            var page = await http.GetStringAsync($"http://127.0.0.1:{_server.DebugPort}/debug/{path}");
            Assert.DoesNotContain(KeyBody(_first.Key), page, StringComparison.Ordinal);
            Assert.DoesNotContain(KeyBody(rotated.Key), page, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_logs.Lines, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal)
            || l.Contains(KeyBody(_first.Key), StringComparison.Ordinal) || l.Contains(KeyBody(rotated.Key), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACallThroughTheGateway_TerminatesOnTheServersChain_NeedsAClientCertificate_AndIsRoutedByItsOwnRoutes()
    {
        await using var client = AdsTestClient.Connect(_server.XdsPort, GatewayNode, metadata: GatewayMetadata());
        var gateway = new Simulator(await AdsProxyConfig.FetchAsync(client));
        var https = new Call { Address = "127.0.0.1", Port = 443, Protocol = CallProtocol.Tls, Sni = "bookinfo.example", Inside = CallProtocol.Http1, Authority = "bookinfo.example", Alpn = ["h2", "http/1.1"] }.Direct();

        var result = gateway.Simulate(https with { ClientIdentity = "client.bookinfo.example" }).ShouldReach("outbound|9080||productpage.bookinfo.svc.cluster.local");
        Assert.Equal(("0.0.0.0_443", "https.443.https.bookinfo.istio-system", "bookinfo.example:443"), (result.Listener, result.RouteConfiguration, result.VirtualHost));

        // MUTUAL: no client certificate, no handshake; plaintext, or another SNI, finds no way in.
        gateway.Simulate(https).ShouldFail(SimulationFailure.TlsHandshake);
        gateway.Simulate(Call.Http("bookinfo.example", "127.0.0.1", 443).Direct()).ShouldFail(SimulationFailure.NoFilterChain);
        gateway.Simulate(https with { Sni = "other.example", ClientIdentity = "client.bookinfo.example" }).ShouldFail(SimulationFailure.NoFilterChain);
    }

    [Fact]
    public async Task NoCredentialCrossesANamespace_AKeyGoesToGatewaysOnly_AndThePlaintextPortServesNone()
    {
        // The gateway of istio-system asks for shop's Secret, by its namespace: refused.
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: GatewayToken);
        await using var gateway = AdsTestClient.Connect(channel, GatewayNode, GatewayMetadata());
        await gateway.SendAsync(TypeUrls.Secret, ["kubernetes://shop/shop-cert", "kubernetes://bookinfo-cert"]);
        Assert.Equal(["kubernetes://bookinfo-cert"], AdsTestClient.Unpack<Secret>(await gateway.ReceiveTypeAsync(TypeUrls.Secret)).Select(s => s.Name));

        // A sidecar of shop gets its namespace's CA part, never a key.
        using var shopChannel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var sidecar = AdsTestClient.Connect(shopChannel, ShopNode);
        await sidecar.SendAsync(TypeUrls.Secret, ["kubernetes://shop-cert", "kubernetes://shop-cert-cacert"]);
        var shop = AdsTestClient.Unpack<Secret>(await sidecar.ReceiveTypeAsync(TypeUrls.Secret));
        Assert.Equal("kubernetes://shop-cert-cacert", Assert.Single(shop).Name);
        Assert.Equal(Secret.TypeOneofCase.ValidationContext, shop[0].TypeCase);

        // Nothing on the plaintext port, whoever asks.
        await using var plaintext = AdsTestClient.Connect(_server.XdsPort, GatewayNode, metadata: GatewayMetadata());
        await plaintext.SendAsync(TypeUrls.Secret, ["kubernetes://bookinfo-cert"]);
        Assert.Empty((await plaintext.ReceiveTypeAsync(TypeUrls.Secret)).Resources);

        Assert.Contains(_logs.Lines, l => l.Contains("[453]", StringComparison.Ordinal) && l.Contains("kubernetes://shop/shop-cert", StringComparison.Ordinal) && l.Contains("namespace shop", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, l => l.Contains("[453]", StringComparison.Ordinal) && l.Contains("kubernetes://shop-cert", StringComparison.Ordinal) && l.Contains("gateways", StringComparison.Ordinal));
    }

    private static Google.Protobuf.WellKnownTypes.Struct GatewayMetadata()
    {
        var labels = new Google.Protobuf.WellKnownTypes.Struct();
        labels.Fields["istio"] = Google.Protobuf.WellKnownTypes.Value.ForString("ingressgateway");
        var metadata = new Google.Protobuf.WellKnownTypes.Struct();
        metadata.Fields["LABELS"] = Google.Protobuf.WellKnownTypes.Value.ForStruct(labels);
        metadata.Fields["NAMESPACE"] = Google.Protobuf.WellKnownTypes.Value.ForString("istio-system");
        return metadata;
    }

    private static void AssertCredential((string Certificate, string Key, string Ca) expected, Secret secret)
    {
        Assert.Equal(Secret.TypeOneofCase.TlsCertificate, secret.TypeCase);
        Assert.Equal(expected.Certificate, secret.TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8());
        using var served = X509Certificate2.CreateFromPem(secret.TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8(), secret.TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8());
        Assert.True(served.HasPrivateKey);
    }

    private static string KeyBody(string keyPem) => keyPem.Split('\n')[1];

    internal static string TlsSecret(string ns, string name, (string Certificate, string Key, string Ca) credential) => $"""
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/tls
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        data:
          tls.crt: {Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Certificate))}
          tls.key: {Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Key))}
          ca.crt: {Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Ca))}
        """;

    /// <summary>A CA and a server certificate for <paramref name="host"/> it signed, with the server's key: PEM each.</summary>
    internal static (string Certificate, string Key, string Ca) Credential(string host)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test ingress CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return (leaf.ExportCertificatePem().TrimEnd() + "\n", key.ExportPkcs8PrivateKeyPem().TrimEnd() + "\n", ca.ExportCertificatePem().TrimEnd() + "\n");
    }
}
