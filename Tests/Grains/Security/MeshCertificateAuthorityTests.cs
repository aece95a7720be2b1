using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Security;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Grains.Security;

/// <summary>
/// The mesh CA checked with .NET's own chain validation: a self-signed root, workload certificates
/// that chain to it with the caller's SPIFFE identity as their only name, both EKUs and the asked
/// lifetime; CSRs that are forged, weak or ask for another identity refused with the reason; a
/// plug-in CA from PEM files accepted only when it can sign.
/// </summary>
public sealed class MeshCertificateAuthorityTests
{
    private static readonly SpiffeId s_caller = new("cluster.local", "shop", "cart");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void ASelfSignedRoot_IsAP256CaForTenYears_NamedAfterTheTrustDomain()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);

        Assert.Equal("O=cluster.local", ca.Root.Subject);
        Assert.Equal(ca.Root.Subject, ca.Root.Issuer);
        Assert.True(Assert.Single(ca.Root.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.True(Assert.Single(ca.Root.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        using var key = ca.Root.GetECDsaPublicKey()!;
        Assert.Equal("1.2.840.10045.3.1.7", key.ExportParameters(false).Curve.Oid.Value);
        Assert.Equal(TimeSpan.FromDays(3650) + TimeSpan.FromMinutes(1), ca.Root.NotAfter - ca.Root.NotBefore);
        Assert.Same(ca.Root, ca.Signer);
    }

    [Fact]
    public void AWorkloadCertificate_ChainsToTheRoot_NamesOnlyTheCallersIdentity_ForClientAndServer_ForItsLifetime()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var workload = ca.Sign(Csr(key, s_caller.ToString()), s_caller, MeshCertificateAuthority.DefaultWorkloadLifetime);

        AssertChainsTo(ca.Root, workload, _time.GetUtcNow());
        Assert.Equal(string.Empty, workload.Subject);
        Assert.True(Assert.Single(workload.Extensions, e => e.Oid?.Value == "2.5.29.17").Critical);
        var names = SubjectAltNames.Read(workload.Extensions.Cast<X509Extension>());
        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/cart"], names.Uris);
        Assert.Empty(names.DnsNames);
        Assert.Empty(names.Others);
        Assert.False(Assert.Single(workload.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], Assert.Single(workload.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.Equal(_time.GetUtcNow().AddHours(24), new DateTimeOffset(workload.NotAfter.ToUniversalTime()));
        Assert.True(workload.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()));
        Assert.Equal([workload.ExportCertificatePem(), ca.Root.ExportCertificatePem()], ca.ChainPem(workload));
    }

    [Fact]
    public void AWorkloadCertificate_NeverOutlivesItsSigner()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var workload = ca.Sign(Csr(key, s_caller.ToString()), s_caller, TimeSpan.FromDays(5000));

        Assert.Equal(ca.Root.NotAfter, workload.NotAfter);
    }

    [Fact]
    public void AnRsaCsrOf2048Bits_IsSigned()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var key = RSA.Create(2048);

        using var workload = ca.Sign(Csr(key, s_caller.ToString()), s_caller, TimeSpan.FromHours(1));

        AssertChainsTo(ca.Root, workload, _time.GetUtcNow());
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "another identity", "names spiffe://cluster.local/ns/shop/sa/admin" },
        { "no identity", "names nothing" },
        { "two identities", "names spiffe://cluster.local/ns/shop/sa/cart, spiffe://cluster.local/ns/shop/sa/admin" },
        { "a DNS name besides", "names spiffe://cluster.local/ns/shop/sa/cart, cart.shop.svc" },
        { "a forged signature", "signature does not verify" },
        { "not a CSR", "does not parse" },
        { "a 1024-bit RSA key", "1024 bits, fewer than 2048" },
        { "a P-521 key", "not P-256 or P-384" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void ACsrThatIsForgedWeakOrAsksForAnotherIdentity_IsRefusedWithTheReason(string csr, string reason)
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = csr switch
        {
            "another identity" => Csr(p256, "spiffe://cluster.local/ns/shop/sa/admin"),
            "no identity" => Csr(p256),
            "two identities" => Csr(p256, s_caller.ToString(), "spiffe://cluster.local/ns/shop/sa/admin"),
            "a DNS name besides" => Csr(p256, s_caller.ToString(), dns: "cart.shop.svc"),
            "a forged signature" => Forged(p256),
            "not a CSR" => "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
            "a 1024-bit RSA key" => Csr(RsaOf(1024), s_caller.ToString()),
            _ => Csr(ECDsa.Create(ECCurve.NamedCurves.nistP521), s_caller.ToString()),
        };

        var refused = Assert.Throws<CertificateRequestRefusedException>(() => ca.Sign(pem, s_caller, TimeSpan.FromHours(1)));

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACallerOfAnotherTrustDomain_IsRefused()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var stranger = new SpiffeId("other.mesh", "shop", "cart");

        var refused = Assert.Throws<CertificateRequestRefusedException>(() => ca.Sign(Csr(key, stranger.ToString()), stranger, TimeSpan.FromHours(1)));

        Assert.Contains("trust domain other.mesh is not this CA's (cluster.local)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APlugInCa_WithAnIntermediateAndItsRoot_SignsCertificatesThatChainToTheRoot()
    {
        using var root = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=cluster.local, CN=Intermediate CA", intermediateKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var intermediate = request.Create(root.Root, _time.GetUtcNow(), _time.GetUtcNow().AddYears(2), [1, 2, 3, 4]);

        using var ca = MeshCertificateAuthority.FromPem(intermediate.ExportCertificatePem(), intermediateKey.ExportPkcs8PrivateKeyPem(), root.Root.ExportCertificatePem(), "cluster.local", _time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var workload = ca.Sign(Csr(key, s_caller.ToString()), s_caller, TimeSpan.FromHours(1));

        Assert.Equal(root.Root.Thumbprint, ca.Root.Thumbprint);
        AssertChainsTo(root.Root, workload, _time.GetUtcNow(), intermediate);
        Assert.Equal(3, ca.ChainPem(workload).Count);
    }

    [Fact]
    public void APlugInCa_ThatCannotSign_IsRefusedWithTheReason()
    {
        using var root = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leaf = root.Sign(Csr(leafKey, s_caller.ToString()), s_caller, TimeSpan.FromHours(1));
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var notCa = Assert.Throws<ArgumentException>(() => MeshCertificateAuthority.FromPem(leaf.ExportCertificatePem(), leafKey.ExportPkcs8PrivateKeyPem(), root.Root.ExportCertificatePem(), "cluster.local", _time));
        Assert.Contains("is not a CA", notCa.Message, StringComparison.Ordinal);

        var wrongKey = Assert.Throws<ArgumentException>(() => MeshCertificateAuthority.FromPem(root.Root.ExportCertificatePem(), otherKey.ExportPkcs8PrivateKeyPem(), null, "cluster.local", _time));
        Assert.Contains("do not load together", wrongKey.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", wrongKey.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromDays(3651));
        var expired = Assert.Throws<ArgumentException>(() => MeshCertificateAuthority.FromPem(root.Root.ExportCertificatePem(), ExportKey(root.Root), null, "cluster.local", _time));
        Assert.Contains("is not valid now", expired.Message, StringComparison.Ordinal);
    }

    private static void AssertChainsTo(X509Certificate2 root, X509Certificate2 workload, DateTimeOffset at, params X509Certificate2[] intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime.AddMinutes(1);
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        Assert.True(chain.Build(workload), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    private static string Csr(AsymmetricAlgorithm key, params string[] uris) => Csr(key, uris, null);

    private static string Csr(AsymmetricAlgorithm key, string uri, string dns) => Csr(key, [uri], dns);

    private static string Csr(AsymmetricAlgorithm key, string[] uris, string? dns)
    {
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(new X500DistinguishedName(string.Empty), ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(new X500DistinguishedName(string.Empty), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("EC or RSA", nameof(key)),
        };
        if (uris.Length > 0 || dns is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var uri in uris)
            {
                names.AddUri(new Uri(uri));
            }

            if (dns is not null)
            {
                names.AddDnsName(dns);
            }

            request.CertificateExtensions.Add(names.Build(critical: true));
        }

        return request.CreateSigningRequestPem();
    }

    /// <summary>A CSR for the caller whose signature belongs to another key: its public key swapped for one it was not signed with.</summary>
    private static string Forged(ECDsa key)
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = Convert.FromBase64String(string.Concat(Csr(key, s_caller.ToString()).Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        var mine = key.ExportSubjectPublicKeyInfo();
        var theirs = other.ExportSubjectPublicKeyInfo();
        var at = der.AsSpan().IndexOf(mine);
        Assert.True(at > 0);
        theirs.CopyTo(der.AsSpan(at));
        return PemEncoding.WriteString("CERTIFICATE REQUEST", der);
    }

    private static RSA RsaOf(int bits)
    {
        // .NET refuses to generate keys below its minimum on some platforms; import one instead when it does.
        var rsa = RSA.Create();
        rsa.KeySize = bits;
        return rsa;
    }

    private static string ExportKey(X509Certificate2 certificate) => certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();

    [Fact]
    public void AServerCertificate_NamesTheGivenHostsAndAddresses_NotTheCsrs_AndVerifiesForServerAuthentication()
    {
        using var ca = MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var server = ca.SignServer(Csr(key, "spiffe://cluster.local/ns/evil/sa/x"), ["istiod.istio-system.svc", "localhost"], [System.Net.IPAddress.Loopback], TimeSpan.FromHours(24));

        var names = SubjectAltNames.Read(server.Extensions.Cast<X509Extension>());
        Assert.Empty(names.Uris);
        Assert.Equal(["istiod.istio-system.svc", "localhost"], names.DnsNames);
        Assert.True(server.MatchesHostname("istiod.istio-system.svc"));
        Assert.True(server.MatchesHostname("127.0.0.1"));
        Assert.False(server.MatchesHostname("istiod.other.svc"));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Root);
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        Assert.True(chain.Build(server), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        Assert.Equal("a server certificate needs at least one DNS name or address", Assert.Throws<CertificateRequestRefusedException>(() => ca.SignServer(Csr(key, "spiffe://cluster.local/ns/a/sa/b"), [], [], TimeSpan.FromHours(1))).Message);
        Assert.StartsWith("the CSR does not parse", Assert.Throws<CertificateRequestRefusedException>(() => ca.SignServer("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", ["localhost"], [], TimeSpan.FromHours(1))).Message, StringComparison.Ordinal);
    }
}
