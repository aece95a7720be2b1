using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Security;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains.Security;

/// <summary>
/// The CA grain on a real silo: one root for every call, certificates for the caller's identity
/// that chain to it, refusals with the reason (never key material), and its state stored.
/// </summary>
public sealed class CertificateAuthorityGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task TheGrain_SignsForTheCallersIdentity_UnderOneRoot()
    {
        var ca = Grains.GetGrain<ICertificateAuthorityGrain>(ICertificateAuthorityGrain.Key);
        var rootPem = await ca.GetRootCertificateAsync();
        Assert.Equal(rootPem, await ca.GetRootCertificateAsync());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var signed = await ca.SignAsync(Csr(key, "spiffe://cluster.local/ns/shop/sa/cart"), "spiffe://cluster.local/ns/shop/sa/cart", TimeSpan.FromHours(2));

        Assert.Null(signed.Refused);
        Assert.Equal(2, signed.Chain.Count);
        using var root = X509Certificate2.CreateFromPem(rootPem);
        using var workload = X509Certificate2.CreateFromPem(signed.Chain[0]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        Assert.True(chain.Build(workload), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/cart"], SubjectAltNames.Read(workload.Extensions.Cast<X509Extension>()).Uris);
        Assert.InRange(workload.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2));
        Assert.DoesNotContain(signed.Chain, pem => pem.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheRoot_OutlivesTheGrainsActivation()
    {
        var ca = Grains.GetGrain<ICertificateAuthorityGrain>(ICertificateAuthorityGrain.Key);
        var before = await ca.GetRootCertificateAsync();
        var management = Grains.GetGrain<IManagementGrain>(0);
        async Task<int> ActivationsAsync() => (await management.GetDetailedGrainStatistics()).Count(s => s.GrainId.ToString().Contains("certificateauthority", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(1, await ActivationsAsync());

        await management.ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal(0, await ActivationsAsync());
        Assert.Equal(before, await ca.GetRootCertificateAsync());
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/admin", "spiffe://cluster.local/ns/shop/sa/cart", "must name exactly the caller's identity")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart", "cart", "not a SPIFFE identity")]
    [InlineData("spiffe://other.mesh/ns/shop/sa/cart", "spiffe://other.mesh/ns/shop/sa/cart", "is not this CA's")]
    public async Task ARequestItMustNotSign_IsRefusedWithTheReason(string asked, string caller, string reason)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var signed = await Grains.GetGrain<ICertificateAuthorityGrain>(ICertificateAuthorityGrain.Key).SignAsync(Csr(key, asked), caller, null);

        Assert.Empty(signed.Chain);
        Assert.Contains(reason, signed.Refused, StringComparison.Ordinal);
    }

    private static string Csr(ECDsa key, string uri)
    {
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(names.Build(critical: true));
        return request.CreateSigningRequestPem();
    }
}
