using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.EndToEnd;

/// <summary>
/// The real @grpc/grpc-js-xds client and an xDS-enabled gRPC server over mutual TLS, each with the
/// certificate it got from the mesh CA's Istio API (as istio-agent gets one) in the files its
/// bootstrap's <c>file_watcher</c> certificate provider reads: STRICT PeerAuthentication makes the
/// server require client certificates, an ISTIO_MUTUAL DestinationRule makes the client present
/// one, and AuthorizationPolicies decide by the client's identity (PERMISSION_DENIED when denied).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ProxylessMutualTlsTests
{
    private const string ServerIp = "127.3.0.10";
    private const string FrontendToken = "web-frontend-token-0123456789";
    private const string ApiToken = "secure-api-token-0123456789";

    [Fact]
    public async Task AGrpcClientWithItsMeshCertificate_CallsAServerRequiringOne_AndAuthorizationPoliciesDecideByItsIdentity()
    {
        using var files = new TempDirectory();
        var port = TestPorts.Free();
        var tokens = files.Write("tokens", $"{FrontendToken} web frontend\n{ApiToken} secure api\n");
        await using var server = await MeshServer.StartAsync(
            new Dictionary<string, string>
            {
                ["api.yaml"] = MeshYaml.Documents(
                    MeshYaml.Service("api", port, "secure"),
                    MeshYaml.SliceOfPods("api-1", "api", port, "secure", (ServerIp, "api-1")),
                    $"apiVersion: v1\nkind: Pod\nmetadata: {{name: api-1, namespace: secure, labels: {{app: api, security.istio.io/tlsMode: istio}}}}\nspec: {{serviceAccountName: api}}\nstatus: {{podIP: {ServerIp}, phase: Running}}\n",
                    "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: secure}\nspec: {mtls: {mode: STRICT}}\n"),
                ["dr.yaml"] = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: web}\nspec:\n  host: api.secure.svc.cluster.local\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n",
            },
            new Dictionary<string, string?> { ["Mesh:Security:TokenFile"] = tokens });
        var root = server.Services.GetRequiredService<MeshTls>().Root;
        var frontend = await CertificateFilesAsync(server, root, FrontendToken, "spiffe://cluster.local/ns/web/sa/frontend", Path.Combine(files.Path, "frontend"));
        var api = await CertificateFilesAsync(server, root, ApiToken, "spiffe://cluster.local/ns/secure/sa/api", Path.Combine(files.Path, "api"));

        await using var grpcServer = await NodeProcess.StartAsync("xds-server.js", [$"{ServerIp}:{port}", "api-1"], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP_CONFIG"] = Bootstrap(server, "sidecar~127.3.0.10~api-1.secure~secure.svc.cluster.local", "secure", api),
            ["MESH_XDS_CREDENTIALS"] = "1",
            ["GRPC_XDS_EXPERIMENTAL_RBAC"] = "true",
        });
        Assert.True((bool)(await grpcServer.ReadAsync(TimeSpan.FromSeconds(30)))["serving"]!);

        await using var client = await NodeProcess.StartAsync("client.js", [$"xds:///api.secure.svc.cluster.local:{port}"], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP_CONFIG"] = Bootstrap(server, "sidecar~127.3.0.20~web-1.web~web.svc.cluster.local", "web", frontend),
            ["MESH_XDS_CREDENTIALS"] = "1",
        });
        Assert.True((bool)(await client.ReadAsync())["ready"]!);

        // Mutual TLS both ways: the server requires the client's certificate, the client checks the server's.
        await Eventually.TrueAsync(() => OneCallSucceedsAsync(client), TimeSpan.FromSeconds(60), "a call over mutual TLS succeeds");
        var tally = await client.AskAsync(new { op = "call", n = 5 }, TimeSpan.FromSeconds(30));
        Assert.Equal(5, (int)tally["ok"]!);

        // A DENY for the client's identity: its calls end with PERMISSION_DENIED (7).
        await server.WriteConfigAsync("authz.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: no-frontend, namespace: secure}
            spec:
              action: DENY
              rules:
              - from:
                - source: {principals: ["cluster.local/ns/web/sa/frontend"]}
            """);
        await Eventually.TrueAsync(async () => FailedWith(await client.AskAsync(new { op = "call", n = 1 }, TimeSpan.FromSeconds(30)), "7: "), TimeSpan.FromSeconds(60), "the DENY stops the calls");

        // An ALLOW for its identity alone lets them through again; one for another identity does not.
        await server.WriteConfigAsync("authz.yaml", AllowOnly("cluster.local/ns/web/sa/frontend"));
        await Eventually.TrueAsync(() => OneCallSucceedsAsync(client), TimeSpan.FromSeconds(60), "the ALLOW lets them through");
        await server.WriteConfigAsync("authz.yaml", AllowOnly("cluster.local/ns/web/sa/someone-else"));
        await Eventually.TrueAsync(async () => FailedWith(await client.AskAsync(new { op = "call", n = 1 }, TimeSpan.FromSeconds(30)), "7: "), TimeSpan.FromSeconds(60), "an ALLOW for another identity stops them");

        // Without the DestinationRule the client opens plaintext, which the STRICT server does not take (UNAVAILABLE, 14).
        server.DeleteConfig("authz.yaml");
        server.DeleteConfig("dr.yaml");
        await Eventually.TrueAsync(async () => FailedWith(await client.AskAsync(new { op = "call", n = 1 }, TimeSpan.FromSeconds(30)), "14: "), TimeSpan.FromSeconds(60), "a plaintext call is refused");
    }

    /// <summary>An ALLOW AuthorizationPolicy for the api workloads that lets in <paramref name="principal"/> only.</summary>
    private static string AllowOnly(string principal) =>
        $"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: allow-only, namespace: secure}}\nspec:\n  rules:\n  - from:\n    - source: {{principals: [\"{principal}\"]}}\n";

    private static async Task<bool> OneCallSucceedsAsync(NodeProcess client) =>
        (int)(await client.AskAsync(new { op = "call", n = 1 }, TimeSpan.FromSeconds(30)))["ok"]! == 1;

    private static bool FailedWith(System.Text.Json.Nodes.JsonNode tally, string code) =>
        (int)tally["failed"]! == 1 && tally["errors"]!.AsArray().Any(e => ((string)e!).StartsWith(code, StringComparison.Ordinal));

    /// <summary>A certificate for <paramref name="identity"/> from the CA API, written as istio-agent writes a proxyless workload's: cert-chain.pem, key.pem, root-cert.pem.</summary>
    private static async Task<string> CertificateFilesAsync(MeshServer server, X509Certificate2 root, string token, string identity, string folder)
    {
        var (certificate, chain) = await MeshTlsClient.IssueAsync(server.XdsTlsPort, root, token, identity);
        using (certificate)
        {
            Directory.CreateDirectory(folder);
            using var key = certificate.GetECDsaPrivateKey()!;
            await File.WriteAllTextAsync(Path.Combine(folder, "cert-chain.pem"), string.Concat(chain.Take(chain.Count - 1)));
            await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(Path.Combine(folder, "root-cert.pem"), chain[^1]);
            return folder;
        }
    }

    /// <summary>Istio's proxyless bootstrap (pkg/istio-agent/grpcxds): the node, the file_watcher certificate provider "default", the server listener template.</summary>
    private static string Bootstrap(MeshServer server, string nodeId, string ns, string certificates) => JsonSerializer.Serialize(new
    {
        xds_servers = new[]
        {
            new { server_uri = $"127.0.0.1:{server.XdsPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } },
        },
        node = new { id = nodeId, metadata = new { GENERATOR = "grpc", NAMESPACE = ns }, locality = new { } },
        certificate_providers = new
        {
            @default = new
            {
                plugin_name = "file_watcher",
                config = new
                {
                    certificate_file = Path.Combine(certificates, "cert-chain.pem"),
                    private_key_file = Path.Combine(certificates, "key.pem"),
                    ca_certificate_file = Path.Combine(certificates, "root-cert.pem"),
                    refresh_interval = "900s",
                },
            },
        },
        server_listener_resource_name_template = "xds.istio.io/grpc/lds/inbound/%s",
    });
}
