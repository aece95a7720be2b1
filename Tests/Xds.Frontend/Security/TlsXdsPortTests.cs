using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Grpc.Core;
using Istio.V1.Auth;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Security;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend.Security;

/// <summary>
/// The TLS xDS port on a real control plane: Istio's CA service, xDS authenticated by a mesh client
/// certificate or a bearer token from the token file, the node checked against the caller, and
/// SDS secrets for the caller only. Every certificate is checked with .NET's chain validation.
/// </summary>
public sealed class TlsXdsPortTests : IAsyncLifetime
{
    private const string ShopToken = "shop-web-token-0123456789abcdef";
    private const string BankToken = "bank-teller-token-0123456789abcdef";
    private const string ShopWeb = "spiffe://cluster.local/ns/shop/sa/web";
    private const string ShopNode = "sidecar~10.0.0.5~web-1.shop~shop.svc.cluster.local";

    private readonly TempDirectory _tokens = new();
    private readonly RecordingLogProvider _logs = new();
    private MeshServer _server = null!;
    private X509Certificate2 _root = null!;

    public async Task InitializeAsync()
    {
        var tokenFile = Path.Combine(_tokens.Path, "tokens");
        await File.WriteAllTextAsync(tokenFile, $"# token namespace serviceaccount\n{ShopToken} shop web\n{BankToken} bank teller\n");
        _server = await MeshServer.StartAsync(
            new Dictionary<string, string> { ["shop.yaml"] = MeshYaml.Service("web", 8080, "shop"), ["bank.yaml"] = MeshYaml.Service("teller", 8080, "bank") },
            new Dictionary<string, string?>
            {
                ["Mesh:Security:TokenFile"] = tokenFile,
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
    public async Task CreateCertificate_WithTheCallersToken_SignsTheCsrForItsIdentity_ChainEndingAtTheRoot()
    {
        var (certificate, chain) = await MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, ShopToken, ShopWeb);
        using (certificate)
        {
            // Root last, as istiod answers; the leaf verifies to it as a client and as a server.
            Assert.Equal(_root.Thumbprint, X509Certificate2.CreateFromPem(chain[^1]).Thumbprint);
            foreach (var usage in new[] { "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1" })
            {
                using var verify = new X509Chain();
                verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                verify.ChainPolicy.CustomTrustStore.Add(_root);
                verify.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
                Assert.True(verify.Build(certificate), string.Join("; ", verify.ChainStatus.Select(s => s.StatusInformation)));
            }

            Assert.Equal([ShopWeb], SubjectAltNames.Read(certificate.Extensions.Cast<X509Extension>()).Uris);
            Assert.InRange(certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        }
    }

    [Theory]
    [InlineData(null, "no client certificate and no bearer token")]
    [InlineData("not-a-known-token-0123456789", "not in the token file")]
    public async Task CreateCertificate_WithoutAValidToken_IsUnauthenticated(string? token, string reason)
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: token);
        var (key, csr) = MeshTlsClient.Csr(ShopWeb);
        using (key)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await new IstioCertificateService.IstioCertificateServiceClient(channel).CreateCertificateAsync(new IstioCertificateRequest { Csr = csr }));

            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HostileAuthorizationHeaders_AreRefusedWithAReason_AndTheNextCallerIsServed()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root);
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        var cases = new (string Header, string Reason)[]
        {
            ("Basic c2hvcDp3ZWI=", "is not 'Bearer <token>'"),
            ("Bearer", "is not 'Bearer <token>'"),
            ("Bearer " + new string('x', MeshTlsCallerLimit + 1), "empty or longer than"),
            ("Bearer " + new string('y', MeshTlsCallerLimit), "not in the token file"),
            ("Bearer " + ShopToken + " trailing", "not in the token file"),
            ("bearer " + "%00%0d%0a\\u0000'\"<script>", "not in the token file"),
        };
        foreach (var (header, reason) in cases)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(
                new IstioCertificateRequest { Csr = MeshTlsClient.Csr(ShopWeb).CsrPem }, new Metadata { { "authorization", header } }));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);

            // A refusal never echoes the token.
            Assert.True(error.Status.Detail.Length < 300, error.Status.Detail[..Math.Min(300, error.Status.Detail.Length)]);
        }

        // The same connection keeps serving an honest caller.
        var answer = await client.CreateCertificateAsync(
            new IstioCertificateRequest { Csr = MeshTlsClient.Csr(ShopWeb).CsrPem }, new Metadata { { "authorization", "Bearer " + ShopToken } });
        Assert.NotEmpty(answer.CertChain);
    }

    private const int MeshTlsCallerLimit = Mesh.Orleans.Xds.Frontend.Security.CallerAuthenticator.MaxTokenLength;

    [Fact]
    public async Task CreateCertificate_ForAnotherIdentity_TooLong_OrOnThePlaintextPort_IsRefusedWithTheReason()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        var (key, csr) = MeshTlsClient.Csr("spiffe://cluster.local/ns/bank/sa/teller");
        using var ownKey = MeshTlsClient.Csr(ShopWeb).Key;
        using (key)
        {
            var other = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = csr }));
            Assert.Equal(StatusCode.InvalidArgument, other.StatusCode);
            Assert.Contains($"must name exactly the caller's identity {ShopWeb}", other.Status.Detail, StringComparison.Ordinal);
        }

        var tooLong = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = MeshTlsClient.Csr(ShopWeb).CsrPem, ValidityDuration = (long)TimeSpan.FromDays(91).TotalSeconds }));
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Contains("greater than the max allowed TTL", tooLong.Status.Detail, StringComparison.Ordinal);

        var garbage = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" }));
        Assert.Equal(StatusCode.InvalidArgument, garbage.StatusCode);

        using var plaintext = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{_server.XdsPort}");
        var plain = await Assert.ThrowsAsync<RpcException>(async () => await new IstioCertificateService.IstioCertificateServiceClient(plaintext).CreateCertificateAsync(
            new IstioCertificateRequest { Csr = MeshTlsClient.Csr(ShopWeb).CsrPem }, new Metadata { { "authorization", "Bearer " + ShopToken } }));
        Assert.Equal(StatusCode.Unauthenticated, plain.StatusCode);
        Assert.Contains("TLS xDS port only", plain.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ads_WithAMeshClientCertificate_ServesItsOwnNamespacesNode_AndRefusesANodeClaimingAnother()
    {
        var (certificate, _) = await MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, ShopToken, ShopWeb);
        using (certificate)
        {
            using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, certificate);
            await using var own = AdsTestClient.Connect(channel, ShopNode);
            await own.SendAsync(TypeUrls.Cluster);
            var clusters = await own.ReceiveTypeAsync(TypeUrls.Cluster);
            Assert.NotEmpty(clusters.Resources);

            using var channel2 = MeshTlsClient.Channel(_server.XdsTlsPort, _root, certificate);
            await using var other = AdsTestClient.Connect(channel2, "sidecar~10.0.0.6~teller-1.bank~bank.svc.cluster.local");
            await other.SendAsync(TypeUrls.Cluster);
            var status = await other.WaitForEndAsync();
            Assert.Equal(StatusCode.PermissionDenied, status.StatusCode);
            Assert.Contains("is in namespace bank, but the caller is spiffe://cluster.local/ns/shop/sa/web", status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ads_WithAToken_IsServed_AndANodeOfAnotherServiceAccountIsRefused()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: BankToken);
        await using var own = DeltaTestClient.Connect(channel, "sidecar~10.0.0.6~teller-1.bank~bank.svc.cluster.local");
        await own.SendAsync(TypeUrls.Cluster);
        var clusters = await own.ReceiveAsync();
        Assert.NotEmpty(clusters.Resources);

        var metadata = XdsTestClientMetadata("SERVICE_ACCOUNT", "auditor");
        using var channel2 = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: BankToken);
        await using var other = AdsTestClient.Connect(channel2, "sidecar~10.0.0.7~auditor-1.bank~bank.svc.cluster.local", metadata);
        await other.SendAsync(TypeUrls.Cluster);
        var status = await other.WaitForEndAsync();
        Assert.Equal(StatusCode.PermissionDenied, status.StatusCode);
        Assert.Contains("says service account auditor", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ads_WithACertificateFromAnotherCa_WithABadToken_OrWithNothing_IsUnauthenticated()
    {
        using var foreign = MeshCertificateAuthority.CreateSelfSigned("cluster.local");
        var (key, csr) = MeshTlsClient.Csr(ShopWeb);
        using var signed = foreign.Sign(csr, SpiffeId.TryParse(ShopWeb, out var id, out _) ? id : throw new InvalidOperationException(), TimeSpan.FromHours(1));
        using var withKey = signed.CopyWithPrivateKey(key);
        using var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        key.Dispose();

        foreach (var (channel, reason) in new[]
        {
            (MeshTlsClient.Channel(_server.XdsTlsPort, _root, certificate), "does not verify against the mesh root"),
            (MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: "wrong-token-0123456789abcdef"), "not in the token file"),
            (MeshTlsClient.Channel(_server.XdsTlsPort, _root), "no client certificate and no bearer token"),
        })
        {
            using (channel)
            {
                await using var client = AdsTestClient.Connect(channel, ShopNode);
                await client.SendAsync(TypeUrls.Cluster);
                var status = await client.WaitForEndAsync();
                Assert.Equal(StatusCode.Unauthenticated, status.StatusCode);
                Assert.Contains(reason, status.Detail, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Sds_OverAds_GivesTheCallerItsOwnCertificateAndKey_AndTheRoot_NeverLogged()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var client = AdsTestClient.Connect(channel, ShopNode);
        await client.SendAsync(TypeUrls.Secret, [ProxySecrets.Default, ProxySecrets.RootCa]);
        var response = await client.ReceiveTypeAsync(TypeUrls.Secret);
        var secrets = AdsTestClient.Unpack<Secret>(response).ToDictionary(s => s.Name);

        Assert.Equal([ProxySecrets.RootCa, ProxySecrets.Default], secrets.Keys.Order(StringComparer.Ordinal));
        using var trusted = X509Certificate2.CreateFromPem(secrets[ProxySecrets.RootCa].ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        Assert.Equal(_root.Thumbprint, trusted.Thumbprint);

        var tls = secrets[ProxySecrets.Default].TlsCertificate;
        var keyPem = tls.PrivateKey.InlineBytes.ToStringUtf8();
        using var certificate = X509Certificate2.CreateFromPem(tls.CertificateChain.InlineBytes.ToStringUtf8(), keyPem);
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal([ShopWeb], SubjectAltNames.Read(certificate.Extensions.Cast<X509Extension>()).Uris);
        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verify.ChainPolicy.CustomTrustStore.Add(_root);
        Assert.True(verify.Build(certificate));

        // The secret goes to this stream only: the debug endpoints and the logs never carry the key.
        await client.AckAsync(response, [ProxySecrets.Default, ProxySecrets.RootCa]);
        using var http = new HttpClient();
        var syncz = await http.GetStringAsync($"http://127.0.0.1:{_server.DebugPort}/debug/syncz");
        var keyBody = keyPem.Split('\n')[1];
        Assert.DoesNotContain(keyBody, syncz, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal) || l.Contains(keyBody, StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, l => l.Contains("[445]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sds_OnTheSdsServiceWithDelta_AndOnThePlaintextPort_GivesSecretsOnlyToAnAuthenticatedCaller()
    {
        using var channel = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var sds = AdsTestClient.ConnectSecrets(channel, ShopNode);
        await sds.SendAsync(string.Empty, [ProxySecrets.Default]);
        var secret = Assert.Single(AdsTestClient.Unpack<Secret>(await sds.ReceiveAsync()));
        Assert.Equal(ProxySecrets.Default, secret.Name);

        using var channel2 = MeshTlsClient.Channel(_server.XdsTlsPort, _root, token: ShopToken);
        await using var delta = DeltaTestClient.Connect(channel2, ShopNode);
        await delta.SendAsync(TypeUrls.Secret, subscribe: [ProxySecrets.Default, ProxySecrets.RootCa]);
        var deltaResponse = await delta.ReceiveAsync();
        Assert.Equal([ProxySecrets.RootCa, ProxySecrets.Default], deltaResponse.Resources.Select(r => r.Name).Order(StringComparer.Ordinal));

        await using var plaintext = AdsTestClient.Connect(_server.XdsPort, ShopNode);
        await plaintext.SendAsync(TypeUrls.Secret, [ProxySecrets.Default, ProxySecrets.RootCa]);
        var nothing = await plaintext.ReceiveTypeAsync(TypeUrls.Secret);
        Assert.Empty(nothing.Resources);
    }

    private static Google.Protobuf.WellKnownTypes.Struct XdsTestClientMetadata(string key, string value)
    {
        var metadata = AdsTestClient.ProxylessMetadata();
        metadata.Fields[key] = Google.Protobuf.WellKnownTypes.Value.ForString(value);
        return metadata;
    }
}
