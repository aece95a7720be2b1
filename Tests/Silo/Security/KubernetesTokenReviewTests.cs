using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Istio.V1.Auth;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Silo.Security;

/// <summary>
/// Bearer tokens on the TLS port reviewed by the Kubernetes TokenReview API of the member cluster
/// (the fake API server, over HTTPS, with the control plane's own credentials), as istiod does.
/// </summary>
public sealed class KubernetesTokenReviewTests : IAsyncLifetime
{
    private const string ShopWeb = "spiffe://cluster.local/ns/shop/sa/web";
    private readonly TempDirectory _files = new();
    private FakeKubernetesApi _api = null!;
    private MeshServer _server = null!;
    private X509Certificate2 _root = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.AddServiceAccountToken("shop-web-service-account-token", "shop", "web", "istio-ca");
        _api.AddServiceAccountToken("token-for-another-audience", "shop", "web", "kubernetes");
        _api.WriteKubeconfig(Path.Combine(_files.Path, "east.kubeconfig"));
        var clusters = _files.Write("clusters.yaml", "- id: east\n  kubeconfig: east.kubeconfig\n");
        _server = await MeshServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Mesh:Kubernetes:ClustersFile"] = clusters,
            ["Mesh:Source:ClusterId"] = "local-files",
        });
        _root = _server.Services.GetRequiredService<MeshTls>().Root;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _api.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task AServiceAccountToken_IsReviewedByTheApiForIstioCa_AndItsIdentityGetsTheCertificate()
    {
        var (certificate, _) = await MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, "shop-web-service-account-token", ShopWeb);
        using (certificate)
        {
            Assert.Equal([ShopWeb], Mesh.Orleans.Grains.Interfaces.Security.SubjectAltNames.Read(certificate.Extensions.Cast<X509Extension>()).Uris);
        }

        Assert.Contains(_api.Requests, r => r.Method == "POST" && r.PathAndQuery == "/apis/authentication.k8s.io/v1/tokenreviews");
    }

    [Theory]
    [InlineData("not-a-kubernetes-token-at-all", "the Kubernetes API did not authenticate the token: invalid bearer token")]
    [InlineData("token-for-another-audience", "the Kubernetes API did not authenticate the token: token audiences is invalid")]
    public async Task ATokenTheApiDoesNotAuthenticate_IsUnauthenticated_WithItsReason(string token, string reason)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, token, ShopWeb));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnApiThatDoesNotAnswer_RefusesTheCaller_AndTheNextCallWorksOnceItIsBack()
    {
        _api.SetDown(true);
        var error = await Assert.ThrowsAsync<RpcException>(() => MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, "shop-web-service-account-token", ShopWeb));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("the Kubernetes TokenReview API could not review the token (it answered 503", error.Status.Detail, StringComparison.Ordinal);

        _api.SetDown(false);
        var (certificate, _) = await MeshTlsClient.IssueAsync(_server.XdsTlsPort, _root, "shop-web-service-account-token", ShopWeb);
        certificate.Dispose();
    }
}
