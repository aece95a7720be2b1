using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mesh.Orleans.Grains.Interfaces.Security;

namespace Mesh.Orleans.Grains.Security;

/// <summary>
/// The mesh's certificate authority, as Istio's: a root that is self-signed at first start (ECDSA
/// P-256, 10 years, subject <c>O=&lt;trust-domain&gt;</c>) or given as files (Istio's plug-in CA
/// <c>cacerts</c>), signing short-lived workload certificates whose only name is the workload's
/// SPIFFE identity (URI SAN, critical, empty subject), for TLS client and server use. A request is
/// a PKCS#10 CSR: its signature must verify, its key must be EC P-256/P-384 or RSA of 2048 bits
/// or more, and the identity it asks for must be exactly the caller's. Everything is .NET's own
/// X509 and ECDsa code; nothing here is hand-written cryptography.
/// </summary>
public sealed class MeshCertificateAuthority : IDisposable
{
    /// <summary>How long a self-signed root lasts (Istio's default).</summary>
    public static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);

    /// <summary>How long a workload certificate lasts unless asked otherwise (Istio's default).</summary>
    public static readonly TimeSpan DefaultWorkloadLifetime = TimeSpan.FromHours(24);

    // Certificates start a minute in the past, so a peer whose clock is a little behind accepts them.
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(1);

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly TimeProvider _time;

    private MeshCertificateAuthority(X509Certificate2 signer, IReadOnlyList<X509Certificate2> chain, string trustDomain, TimeProvider time)
    {
        Signer = signer;
        Chain = chain;
        TrustDomain = trustDomain;
        _time = time;
    }

    /// <summary>The certificate that signs workload certificates (the root, or a plug-in CA's intermediate), with its private key.</summary>
    public X509Certificate2 Signer { get; }

    /// <summary>The signer's chain above it, up to and including the root (empty when the signer is the root).</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>The root proxies trust (Istio's <c>ROOTCA</c>).</summary>
    public X509Certificate2 Root => Chain.Count > 0 ? Chain[^1] : Signer;

    /// <summary>The trust domain of the identities it signs.</summary>
    public string TrustDomain { get; }

    /// <summary>A new self-signed root for <paramref name="trustDomain"/>.</summary>
    public static MeshCertificateAuthority CreateSelfSigned(string trustDomain, TimeProvider? time = null)
    {
        if (!SpiffeId.IsTrustDomain(trustDomain))
        {
            throw new ArgumentException($"trust domain '{trustDomain}' is not a lower-case DNS-like name", nameof(trustDomain));
        }

        time ??= TimeProvider.System;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"O={trustDomain}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = time.GetUtcNow();
        var root = request.CreateSelfSigned(now - s_clockSkew, now + RootLifetime);
        return new MeshCertificateAuthority(root, [], trustDomain, time);
    }

    /// <summary>
    /// A plug-in CA, as Istio's <c>cacerts</c>: the signing certificate and its private key (PEM),
    /// and, when the signer is an intermediate, the chain above it up to the root (PEM, signer's
    /// issuer first). The signer must be a CA allowed to sign certificates, valid now, holding the
    /// key given, and the chain must lead to a self-signed root.
    /// </summary>
    public static MeshCertificateAuthority FromPem(string certificatePem, string keyPem, string? chainPem, string trustDomain, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(keyPem);
        if (!SpiffeId.IsTrustDomain(trustDomain))
        {
            throw new ArgumentException($"trust domain '{trustDomain}' is not a lower-case DNS-like name", nameof(trustDomain));
        }

        time ??= TimeProvider.System;
        X509Certificate2 signer;
        try
        {
            signer = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            throw new ArgumentException($"the CA certificate and key do not load together: {exception.Message}", nameof(keyPem), exception);
        }

        var chain = new List<X509Certificate2>();
        if (!string.IsNullOrWhiteSpace(chainPem))
        {
            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPem(chainPem);
            }
            catch (CryptographicException exception)
            {
                throw new ArgumentException($"the CA chain does not parse: {exception.Message}", nameof(chainPem), exception);
            }

            chain.AddRange(collection.Where(c => c.Thumbprint != signer.Thumbprint));
        }

        var authority = new MeshCertificateAuthority(signer, chain, trustDomain, time);
        if (authority.FindProblem() is { } problem)
        {
            authority.Dispose();
            throw new ArgumentException(problem, nameof(certificatePem));
        }

        return authority;
    }

    /// <summary>
    /// Signs <paramref name="csrPem"/> for <paramref name="caller"/>: a certificate valid for
    /// <paramref name="lifetime"/> (never past the signer's own end), naming only the caller's
    /// identity. Throws <see cref="CertificateRequestRefusedException"/> with the reason when the
    /// CSR does not parse, its signature does not verify, its key is weak, or it asks for any
    /// identity but the caller's.
    /// </summary>
    public X509Certificate2 Sign(string csrPem, SpiffeId caller, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.TrustDomain != TrustDomain)
        {
            throw new CertificateRequestRefusedException($"the caller's trust domain {caller.TrustDomain} is not this CA's ({TrustDomain})");
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new CertificateRequestRefusedException("the requested lifetime is not positive");
        }

        var request = LoadRequest(csrPem);
        SubjectAltNames asked;
        try
        {
            asked = SubjectAltNames.Read(request.CertificateExtensions);
        }
        catch (System.Formats.Asn1.AsnContentException exception)
        {
            throw new CertificateRequestRefusedException($"the CSR's subjectAltName does not parse: {exception.Message}");
        }

        if (asked.Uris.Count != 1 || asked.DnsNames.Count > 0 || asked.Others.Count > 0 || asked.Uris[0] != caller.ToString())
        {
            var names = string.Join(", ", asked.Uris.Concat(asked.DnsNames).Concat(asked.Others));
            throw new CertificateRequestRefusedException($"the CSR must name exactly the caller's identity {caller} as its URI SAN, and names {(names.Length == 0 ? "nothing" : names)}");
        }

        var identity = new SubjectAlternativeNameBuilder();
        identity.AddUri(new Uri(caller.ToString()));
        return Issue(request.PublicKey, identity.Build(critical: true), lifetime);
    }

    /// <summary>
    /// Signs <paramref name="csrPem"/> as the control plane's own TLS server certificate: the
    /// CSR's key, the DNS names and addresses given here (whatever the CSR asks for), for
    /// <paramref name="lifetime"/>. Only the control plane's own processes ask for it (through
    /// the CA grain, never through the CA service), so the names are theirs to choose.
    /// </summary>
    public X509Certificate2 SignServer(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<System.Net.IPAddress> addresses, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        if (dnsNames.Count + addresses.Count == 0)
        {
            throw new CertificateRequestRefusedException("a server certificate needs at least one DNS name or address");
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new CertificateRequestRefusedException("the requested lifetime is not positive");
        }

        var request = LoadRequest(csrPem);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        // Critical, as a workload's: the subject is empty, so the SAN is the certificate's only name (RFC 5280 4.2.1.6).
        return Issue(request.PublicKey, names.Build(critical: true), lifetime);
    }

    /// <summary>The CSR in <paramref name="csrPem"/>, its signature verified and its key strong enough, or the reason it is refused.</summary>
    private static CertificateRequest LoadRequest(string csrPem)
    {
        if (string.IsNullOrWhiteSpace(csrPem) || csrPem.Length > 64 * 1024)
        {
            throw new CertificateRequestRefusedException("the CSR is empty or longer than 64 KiB");
        }

        CertificateRequest request;
        try
        {
            // Default options verify the CSR's signature with its own key.
            request = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            throw new CertificateRequestRefusedException($"the CSR does not parse or its signature does not verify: {exception.Message}");
        }

        if (WeakKey(request.PublicKey) is { } weak)
        {
            throw new CertificateRequestRefusedException(weak);
        }

        return request;
    }

    /// <summary>A leaf certificate for <paramref name="key"/> naming <paramref name="subjectAltName"/>, signed by the signer, valid for <paramref name="lifetime"/> but never past the signer.</summary>
    private X509Certificate2 Issue(PublicKey key, X509Extension subjectAltName, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var notBefore = Max(now - s_clockSkew, Signer.NotBefore.ToUniversalTime());
        var notAfter = Min(now + lifetime, Signer.NotAfter.ToUniversalTime());
        if (notAfter <= now)
        {
            throw new CertificateRequestRefusedException("the CA's own certificate has expired");
        }

        // The padding applies only when the signer's key is RSA (a plug-in CA's may be).
        var leaf = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leaf.CertificateExtensions.Add(subjectAltName);
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], critical: false));
        var signerHasKeyId = Signer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any();
        leaf.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Signer, includeKeyIdentifier: signerHasKeyId, includeIssuerAndSerial: !signerHasKeyId));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;

        // The signer's key signs whatever the CSR's key is (an RSA workload under an EC root).
        using var ecKey = Signer.GetECDsaPrivateKey();
        using var rsaKey = ecKey is null ? Signer.GetRSAPrivateKey() : null;
        var generator = ecKey is not null ? X509SignatureGenerator.CreateForECDsa(ecKey)
            : rsaKey is not null ? X509SignatureGenerator.CreateForRSA(rsaKey, RSASignaturePadding.Pkcs1)
            : throw new InvalidOperationException("the CA's key is neither EC nor RSA");
        return leaf.Create(Signer.SubjectName, generator, notBefore, notAfter, serial);
    }

    /// <summary>The chain a workload is handed with its certificate: the certificate, then the signer and the chain above it (PEM each, as Istio's <c>cert_chain</c>).</summary>
    public IReadOnlyList<string> ChainPem(X509Certificate2 workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return [workload.ExportCertificatePem(), Signer.ExportCertificatePem(), .. Chain.Select(c => c.ExportCertificatePem())];
    }

    /// <summary>Why the signer and chain cannot serve as a CA now, or null.</summary>
    private string? FindProblem()
    {
        if (!Signer.HasPrivateKey)
        {
            return "the CA certificate comes without its private key";
        }

        if (Signer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            return $"the CA certificate {Signer.Subject} is not a CA (basicConstraints CA:TRUE is missing)";
        }

        if (Signer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            return $"the CA certificate {Signer.Subject} may not sign certificates (keyUsage keyCertSign is missing)";
        }

        var now = _time.GetUtcNow();
        if (now < Signer.NotBefore.ToUniversalTime() || now > Signer.NotAfter.ToUniversalTime())
        {
            return $"the CA certificate {Signer.Subject} is not valid now (valid {Signer.NotBefore:u} to {Signer.NotAfter:u})";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.ExtraStore.AddRange(Chain.ToArray());
        if (!Root.SubjectName.RawData.AsSpan().SequenceEqual(Root.IssuerName.RawData))
        {
            return $"the chain does not end at a self-signed root ({Root.Subject} is issued by {Root.Issuer})";
        }

        if (!chain.Build(Signer))
        {
            return $"the CA certificate does not chain to the root: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
        }

        return null;
    }

    private static string? WeakKey(PublicKey key)
    {
        if (key.GetECDsaPublicKey() is { } ec)
        {
            using (ec)
            {
                var curve = ec.ExportParameters(false).Curve;
                return curve.Oid.Value is "1.2.840.10045.3.1.7" or "1.3.132.0.34" ? null : $"the CSR's EC key is on {curve.Oid.FriendlyName ?? curve.Oid.Value}, not P-256 or P-384";
            }
        }

        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.KeySize >= 2048 ? null : $"the CSR's RSA key has {rsa.KeySize} bits, fewer than 2048";
            }
        }

        return $"the CSR's key ({key.Oid.FriendlyName ?? key.Oid.Value}) is neither EC nor RSA";
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    public void Dispose()
    {
        Signer.Dispose();
        foreach (var certificate in Chain)
        {
            certificate.Dispose();
        }
    }
}

/// <summary>A certificate request the CA will not sign, with the reason (safe to return to the caller: it never holds key material).</summary>
public sealed class CertificateRequestRefusedException(string message) : Exception(message);
