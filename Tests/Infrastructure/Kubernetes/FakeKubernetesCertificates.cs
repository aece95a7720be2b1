using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A certificate authority and a serving certificate it signed, made at test time, as a cluster's
/// own CA signs the API server's certificate. The serving certificate names 127.0.0.1 (IP SAN) and
/// localhost, so a client that verifies the server's name against the kubeconfig's server address
/// accepts it.
/// </summary>
internal sealed class FakeKubernetesCertificates : IDisposable
{
    private FakeKubernetesCertificates(X509Certificate2 authority, X509Certificate2 server)
    {
        Authority = authority;
        Server = server;
    }

    /// <summary>The CA certificate (public part only), which the kubeconfig carries.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The server certificate with its private key, which Kestrel serves.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The CA certificate as PEM, for <c>certificate-authority-data</c>.</summary>
    public string AuthorityPem => Authority.ExportCertificatePem();

    /// <summary>Makes a fresh CA and server certificate valid from a minute ago for a day.</summary>
    public static FakeKubernetesCertificates Create(TimeProvider time)
    {
        var now = time.GetUtcNow();
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=fake-kubernetes-ca", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        var authoritySubjectKey = new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, critical: false);
        authorityRequest.CertificateExtensions.Add(authoritySubjectKey);
        using var authorityWithKey = authorityRequest.CreateSelfSigned(now.AddMinutes(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, critical: false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(authoritySubjectKey));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var signed = serverRequest.Create(authorityWithKey, now.AddMinutes(-1), now.AddDays(1), serial);
        using var signedWithKey = signed.CopyWithPrivateKey(serverKey);

        // A PKCS#12 round trip gives the server certificate a key SslStream can use on every platform.
        var server = X509CertificateLoader.LoadPkcs12(signedWithKey.Export(X509ContentType.Pkcs12), password: null);
        var authority = X509CertificateLoader.LoadCertificate(authorityWithKey.RawData);
        return new FakeKubernetesCertificates(authority, server);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
    }
}
