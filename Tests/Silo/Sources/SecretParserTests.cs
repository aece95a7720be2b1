using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// Kubernetes Secrets read as Istio's credentials controller reads them (<c>ExtractCertInfo</c>,
/// <c>ExtractRoot</c>): kubernetes.io/tls and generic keys, <c>data</c> and <c>stringData</c>,
/// CA-only Secrets, the precedence of the generic keys; Secrets that hold no credential ignored
/// quietly; and hostile values rejected naming their field, never echoing key material. The
/// certificates are made here, with <see cref="CertificateRequest"/>: a CA and a leaf it signs.
/// </summary>
public sealed partial class SecretParserTests
{
    private static readonly DateTimeOffset s_notBefore = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_notAfter = new(2034, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<Credential> s_ec = new(() => Issue(useRsa: false, s_notBefore, s_notAfter));
    private static readonly Lazy<Credential> s_otherEc = new(() => Issue(useRsa: false, s_notBefore, s_notAfter));
    private static readonly Lazy<Credential> s_rsa = new(() => Issue(useRsa: true, s_notBefore, s_notAfter));

    private static Credential Ec => s_ec.Value;

    private static Credential Rsa => s_rsa.Value;

    [Fact]
    public void AKubernetesTlsSecret_WithBase64Data_IsReadIntoTheModel()
    {
        var secret = Read(Secret("bookinfo-cred", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain), ("tls.key", Ec.Pkcs8Key), ("ca.crt", Ec.Ca)]));

        Assert.Equal(("istio-system", "bookinfo-cred"), (secret.Namespace, secret.Name));
        Assert.Equal(Ec.Chain.Trim() + "\n", secret.CertificateChain);
        Assert.Equal(Ec.Pkcs8Key.Trim() + "\n", secret.PrivateKey);
        Assert.Equal(Ec.Ca.Trim() + "\n", secret.CaCertificates);
        Assert.Null(secret.Crl);
        Assert.True(secret.HasKeyPair);
    }

    [Fact]
    public void AGenericSecret_WithCertKeyCacertAndCrl_IsReadIntoTheModel()
    {
        var secret = Read(Secret("mtls-cred", "Opaque", data: [("cert", Rsa.Chain), ("key", Rsa.Pkcs1Key), ("cacert", Rsa.Ca), ("crl", Rsa.Crl)]));

        Assert.Equal(Rsa.Chain.Trim() + "\n", secret.CertificateChain);
        Assert.Equal(Rsa.Pkcs1Key.Trim() + "\n", secret.PrivateKey);
        Assert.Equal(Rsa.Ca.Trim() + "\n", secret.CaCertificates);
        Assert.Equal(Rsa.Crl.Trim() + "\n", secret.Crl);
    }

    [Fact]
    public void AnySecretType_IsReadByItsKeys()
    {
        var secret = Read(Secret("custom", "example.com/custom", data: [("tls.crt", Ec.Chain), ("tls.key", Ec.Pkcs8Key)]));

        Assert.True(secret.HasKeyPair);
        Assert.Null(secret.CaCertificates);
    }

    [Fact]
    public void StringData_IsPlainText_AndWinsOverTheSameKeyInData()
    {
        // data.tls.key is another credential's key; the API server would store stringData's over it.
        var secret = Read(Secret(
            "written-by-hand",
            "kubernetes.io/tls",
            data: [("tls.crt", Ec.Chain), ("tls.key", s_otherEc.Value.Pkcs8Key)],
            stringData: [("tls.key", "\n\n" + Ec.SecKey + "\n\n"), ("ca.crt", Ec.Ca)]));

        Assert.Equal(Ec.SecKey.Trim() + "\n", secret.PrivateKey);
        Assert.Equal(Ec.Ca.Trim() + "\n", secret.CaCertificates);
    }

    [Theory]
    [InlineData("ca.crt")]
    [InlineData("cacert")]
    public void ASecretWithOnlyCaCertificates_HasNoKeyPair(string key)
    {
        var secret = Read(Secret("peer-roots", "Opaque", data: [(key, Ec.Ca + Rsa.Ca)]));

        Assert.Null(secret.CertificateChain);
        Assert.Null(secret.PrivateKey);
        Assert.False(secret.HasKeyPair);
        Assert.Equal((Ec.Ca + Rsa.Ca).Trim() + "\n", secret.CaCertificates);
    }

    [Fact]
    public void TheCacertNamingConvention_IsJustASecretNamedSoThatHoldsCaCrt()
    {
        // Istio looks up NAME-cacert for the CA part of credentialName NAME; the Secret itself is ordinary.
        var secret = Read(Secret("ingress-cred" + MeshSecret.CaSuffix, "Opaque", data: [("ca.crt", Ec.Ca)]));

        Assert.Equal("ingress-cred-cacert", secret.Name);
        Assert.Equal(Ec.Ca.Trim() + "\n", secret.CaCertificates);
        Assert.False(secret.HasKeyPair);
    }

    [Fact]
    public void AKeyNamedKeyWithoutCert_IsAnApplicationsValue_NotHalfAKeyPair()
    {
        var secret = Read(Secret("app-and-roots", "Opaque", data: [("ca.crt", Ec.Ca)], rawData: [("key", Convert.ToBase64String(Junk(32)))]));

        Assert.False(secret.HasKeyPair);
        Assert.Null(secret.PrivateKey);
        Assert.Equal(Ec.Ca.Trim() + "\n", secret.CaCertificates);
    }

    [Fact]
    public void GenericKeys_TakePrecedenceOverTheTlsOnes()
    {
        var secret = Read(Secret("both", "kubernetes.io/tls", data:
        [
            ("tls.crt", Rsa.Chain), ("tls.key", Rsa.Pkcs1Key), ("ca.crt", Rsa.Ca), ("ca.crl", Rsa.Crl),
            ("cert", Ec.Chain), ("key", Ec.Pkcs8Key), ("cacert", Ec.Ca), ("crl", Ec.Crl),
        ]));

        Assert.Equal(Ec.Chain.Trim() + "\n", secret.CertificateChain);
        Assert.Equal(Ec.Pkcs8Key.Trim() + "\n", secret.PrivateKey);
        Assert.Equal(Ec.Ca.Trim() + "\n", secret.CaCertificates);
        Assert.Equal(Ec.Crl.Trim() + "\n", secret.Crl);
    }

    [Fact]
    public void EmptyGenericKeys_LeaveTheTlsPairToServe_AsInIstio()
    {
        var secret = Read(Secret("fallback", "kubernetes.io/tls", data: [("cert", string.Empty), ("key", string.Empty), ("tls.crt", Ec.Chain), ("tls.key", Ec.Pkcs8Key), ("ca.crt", string.Empty)]));

        Assert.Equal(Ec.Chain.Trim() + "\n", secret.CertificateChain);
        Assert.Null(secret.CaCertificates);
    }

    [Theory]
    [InlineData("rsa-pkcs1")]
    [InlineData("rsa-pkcs8")]
    [InlineData("ec-sec1")]
    [InlineData("ec-pkcs8")]
    [InlineData("ec-sec1-with-parameters")]
    public void EachPrivateKeyFormat_IsAccepted(string format)
    {
        var (credential, key) = format switch
        {
            "rsa-pkcs1" => (Rsa, Rsa.Pkcs1Key),
            "rsa-pkcs8" => (Rsa, Rsa.Pkcs8Key),
            "ec-sec1" => (Ec, Ec.SecKey),
            "ec-pkcs8" => (Ec, Ec.Pkcs8Key),

            // As "openssl ecparam -name prime256v1 -genkey" writes it: the curve's OID first.
            _ => (Ec, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + Ec.SecKey),
        };

        var secret = Read(Secret("keys", "kubernetes.io/tls", data: [("tls.crt", credential.Chain), ("tls.key", key)]));

        Assert.Equal(key.Trim() + "\n", secret.PrivateKey);
    }

    [Fact]
    public void AnExpiredCertificate_IsAccepted_AsIstioServesIt()
    {
        var expired = Issue(useRsa: false, new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var secret = Read(Secret("old", "kubernetes.io/tls", data: [("tls.crt", expired.Chain), ("tls.key", expired.Pkcs8Key)]));

        Assert.True(secret.HasKeyPair);
    }

    [Fact]
    public void AChainOfAHundredCertificates_IsAccepted()
    {
        var chain = Ec.Leaf + string.Concat(Enumerable.Repeat(Ec.Ca, SecretParser.MaxChainCertificates - 1));

        var secret = Read(Secret("long", "kubernetes.io/tls", data: [("tls.crt", chain), ("tls.key", Ec.Pkcs8Key)]));

        Assert.Equal(chain.Trim() + "\n", secret.CertificateChain);
    }

    [Fact]
    public void ExplanatoryTextAroundBlocks_IsAccepted_AsRfc7468Allows()
    {
        var chain = "Subject: CN=bookinfo.example.com\n" + Ec.Leaf + "Subject: CN=Test Root CA\n" + Ec.Ca;

        var secret = Read(Secret("annotated", "kubernetes.io/tls", data: [("tls.crt", chain), ("tls.key", Ec.Pkcs8Key)]));

        Assert.Equal(chain.Trim() + "\n", secret.CertificateChain);
    }

    [Theory]
    [InlineData("Opaque", "password: aHVudGVyMg==\n  key: c2stbGl2ZS0xMjM0NTY=")]
    [InlineData("kubernetes.io/service-account-token", "token: ZXlKaGJHY2lPaUpTVXpJMU5pSjk=\n  namespace: ZGVmYXVsdA==\n  ca.crt: {CA}")]
    [InlineData("kubernetes.io/dockerconfigjson", ".dockerconfigjson: eyJhdXRocyI6e319")]
    [InlineData("helm.sh/release.v1", "release: SDRzSUFBQUFBQUFBLw==\n  ca.crt: {CA}")]
    [InlineData("Opaque", "config.json: '!!! not base64 and not the mesh''s business'")]
    public void ASecretHoldingNoCredential_IsIgnoredQuietly_NotRejected(string type, string data)
    {
        var document = Parse($$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: app-secret, namespace: shop}
            type: {{type}}
            data:
              {{data.Replace("{CA}", Base64(Ec.Ca), StringComparison.Ordinal)}}
            """);

        Assert.Null(document.Rejection);
        var ignored = Assert.IsType<IgnoredObject>(document.Value);
        Assert.True(ignored.Quiet);
        Assert.Equal(new ObjectKey("Secret", "shop", "app-secret"), document.Key);
    }

    [Fact]
    public void ACredentialSecretBesideIgnoredOnes_IsKeptInTheSameFile()
    {
        var text = Secret("app", "Opaque", data: [("password", "hunter2")]) + "---\n" + Secret("cred", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain), ("tls.key", Ec.Pkcs8Key)]);

        var documents = KubernetesObjectParser.Parse("secrets.yaml", text).Documents;

        Assert.Equal(2, documents.Count);
        Assert.IsType<IgnoredObject>(documents[0].Value);
        Assert.Equal("cred", Assert.IsType<MeshSecret>(documents[1].Value).Name);
    }

    [Fact]
    public void ToString_NeverPrintsTheKey()
    {
        var secret = Read(Secret("printed", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain), ("tls.key", Ec.Pkcs8Key), ("ca.crt", Ec.Ca)]));

        Assert.Equal("Secret istio-system/printed (certificate and key, CA certificates)", secret.ToString());
        AssertNoKeyMaterial(secret.ToString(), Ec.Pkcs8Key);
        AssertNoKeyMaterial($"{secret}", Ec.Pkcs8Key);
        Assert.DoesNotContain("PRIVATE KEY", $"{secret}", StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> HostileCases() => new()
    {
        { "bad base64", "data.tls.key", "is not valid base64" },
        { "base64 of the key with junk appended", "data.tls.key", "is not valid base64" },
        { "garbage PEM", "data.tls.crt", "malformed PEM block" },
        { "a malformed block after a good one", "data.tls.crt", "malformed PEM block" },
        { "a certificate block that is not X.509", "data.tls.crt", "certificate 1 is not a valid X.509 certificate" },
        { "no PEM at all", "data.tls.crt", "does not hold a PEM certificate" },
        { "a key that does not match the certificate", "data.tls.key", "does not match the certificate in data.tls.crt" },
        { "an RSA key for an ECDSA certificate", "data.tls.key", "does not match the certificate in data.tls.crt" },
        { "a truncated key", "data.tls.key", "does not hold a valid RSA or EC private key" },
        { "an encrypted key", "data.tls.key", "encrypted private key" },
        { "a certificate where the key should be", "data.tls.key", "does not hold a PEM private key" },
        { "two keys", "data.tls.key", "holds more than one private key" },
        { "an empty tls pair", "data.tls.crt", "found keys tls.crt and tls.key, but they were empty" },
        { "an empty generic pair", "data.cert", "found keys cert and key, but they were empty" },
        { "an empty key beside a certificate", "data.tls.key", "is empty" },
        { "tls.crt without tls.key", "data.tls.key", "is missing" },
        { "tls.key without tls.crt", "data.tls.crt", "is missing" },
        { "cert without key", "data.key", "is missing" },
        { "a 2 MiB value", "data.tls.key", "is larger than 1 MiB" },
        { "a 2 MiB stringData value", "stringData.tls.key", "is larger than 1 MiB" },
        { "101 certificates in a chain", "data.tls.crt", "holds more than 100 certificates" },
        { "a megabyte of block openings", "data.tls.crt", "holds more than 100 certificates" },
        { "a private key where the certificate should be", "data.tls.crt", "holds a private key where the certificate chain belongs" },
        { "a private key among the CA certificates", "data.ca.crt", "holds a private key where only certificates belong" },
        { "binary junk", "data.tls.key", "holds binary data" },
        { "control characters in stringData", "stringData.tls.key", "holds binary data" },
        { "garbage CA certificates", "data.ca.crt", "does not hold a PEM certificate" },
        { "an empty CA alone", "data.ca.crt", "is empty" },
        { "a CRL that is a certificate", "data.ca.crl", "does not hold PEM X509 CRL blocks only" },
        { "a CRL alone", "data.crl", "needs a certificate and key, or CA certificates" },
        { "a value that is a mapping", "data.tls.crt", "must be a string" },
    };

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void HostileInput_IsRejectedNamingItsField_WithoutKeyMaterialInTheReason(string hostile, string field, string reason)
    {
        var key = Ec.Pkcs8Key;
        var yaml = hostile switch
        {
            "bad base64" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)], rawData: [("tls.key", "not*base64!")]),
            "base64 of the key with junk appended" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)], rawData: [("tls.key", Base64(key) + "*")]),
            "garbage PEM" => Pair("-----BEGIN CERTIFICATE-----\nthis is not base64 at all!\n-----END CERTIFICATE-----\n", key),
            "a malformed block after a good one" => Pair(Ec.Chain + "-----BEGIN CERTIFICATE-----\nAB!CD\n-----END CERTIFICATE-----\n", key),
            "a certificate block that is not X.509" => Pair(PemEncoding.WriteString("CERTIFICATE", Encoding.ASCII.GetBytes("not a certificate, but valid base64")), key),
            "no PEM at all" => Pair("just some text", key),
            "a key that does not match the certificate" => Pair(Ec.Chain, s_otherEc.Value.Pkcs8Key),
            "an RSA key for an ECDSA certificate" => Pair(Ec.Chain, key = Rsa.Pkcs8Key),
            "a truncated key" => Pair(Ec.Chain, key = Truncated(Ec.Pkcs8Key)),
            "an encrypted key" => Pair(Ec.Chain, key = Ec.EncryptedKey),
            "a certificate where the key should be" => Pair(Ec.Chain, Ec.Leaf),
            "two keys" => Pair(Ec.Chain, Ec.Pkcs8Key + Ec.SecKey),
            "an empty tls pair" => Pair(string.Empty, string.Empty),
            "an empty generic pair" => Secret("h", "Opaque", data: [("cert", string.Empty), ("key", string.Empty)]),
            "an empty key beside a certificate" => Pair(Ec.Chain, string.Empty),
            "tls.crt without tls.key" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)]),
            "tls.key without tls.crt" => Secret("h", "kubernetes.io/tls", data: [("tls.key", key)]),
            "cert without key" => Secret("h", "Opaque", data: [("cert", Ec.Chain)]),
            "a 2 MiB value" => Pair(Ec.Chain, key = Repeat(key, 2 * 1024 * 1024)),
            "a 2 MiB stringData value" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)], stringData: [("tls.key", key = Repeat(key, 2 * 1024 * 1024))]),
            "101 certificates in a chain" => Pair(Ec.Leaf + string.Concat(Enumerable.Repeat(Ec.Ca, SecretParser.MaxChainCertificates)), key),
            "a megabyte of block openings" => Pair(Repeat("-----BEGIN CERTIFICATE-----\n", SecretParser.MaxValueBytes - 64), key),
            "a private key where the certificate should be" => Pair(key, key),
            "a private key among the CA certificates" => Secret("h", "Opaque", data: [("ca.crt", Ec.Ca + key)]),
            "binary junk" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)], rawData: [("tls.key", Convert.ToBase64String(Junk(4096)))]),
            "control characters in stringData" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain)], stringData: [("tls.key", "\0\u0001" + key)]),
            "garbage CA certificates" => Secret("h", "Opaque", data: [("ca.crt", "not a certificate")]),
            "an empty CA alone" => Secret("h", "Opaque", data: [("ca.crt", string.Empty)]),
            "a CRL that is a certificate" => Secret("h", "kubernetes.io/tls", data: [("tls.crt", Ec.Chain), ("tls.key", key), ("ca.crl", Ec.Ca)]),
            "a CRL alone" => Secret("h", "Opaque", data: [("crl", Ec.Crl)]),
            "a value that is a mapping" => "apiVersion: v1\nkind: Secret\nmetadata: {name: h, namespace: istio-system}\ndata:\n  tls.crt: {a: b}\n  tls.key: " + Base64(key) + "\n",
            _ => throw new ArgumentOutOfRangeException(nameof(hostile), hostile, "no such case"),
        };

        var document = Parse(yaml);

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
        AssertNoKeyMaterial(rejection.ToString(), key);
    }

    [Theory]
    [InlineData("tls.crt")]
    [InlineData("tls.key")]
    [InlineData("ca.crt")]
    public void MutatedDer_IsAcceptedOrRejectedInTheParsersOwnWords(string target)
    {
        // A fixed seed: each run flips the same bytes. Whatever .NET's readers make of them, the
        // rejection is one of the parser's reasons, never its catch-all nor a piece of the key.
        var random = new Random(7);
        for (var round = 0; round < 500; round++)
        {
            var (label, pem) = target switch
            {
                "tls.crt" => ("CERTIFICATE", Ec.Leaf),
                "tls.key" => ("PRIVATE KEY", round % 2 == 0 ? Ec.Pkcs8Key : Rsa.Pkcs1Key),
                _ => ("CERTIFICATE", Rsa.Ca),
            };
            var der = Convert.FromBase64String(Body(pem));
            der[random.Next(der.Length)] ^= (byte)(1 + random.Next(255));
            var mutated = PemEncoding.WriteString(pem.Contains("RSA PRIVATE KEY", StringComparison.Ordinal) ? "RSA PRIVATE KEY" : label, der) + "\n";
            var key = target == "tls.key" ? mutated : Ec.Pkcs8Key;
            var yaml = target switch
            {
                "tls.crt" => Pair(mutated + Ec.Ca, key),
                "tls.key" => Pair(pem.Contains("RSA", StringComparison.Ordinal) ? Rsa.Chain : Ec.Chain, key),
                _ => Secret("h", "Opaque", data: [("ca.crt", mutated)]),
            };

            var document = Parse(yaml);

            if (document.Rejection is { } rejection)
            {
                Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
                AssertNoKeyMaterial(rejection.ToString(), key);
            }
            else
            {
                Assert.IsType<MeshSecret>(document.Value);
            }
        }
    }

    [Fact]
    public void TheMostBlockOpeningsACaBundleMayHold_AreSearchedInBoundedTime()
    {
        // Each opening without its end costs PemEncoding a scan of the rest of the text.
        var text = Repeat("-----BEGIN CERTIFICATE-----\n", 28 * SecretParser.MaxCaCertificates);
        text += new string('A', SecretParser.MaxValueBytes - text.Length - 16);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var document = Parse(Secret("h", "Opaque", data: [("ca.crt", text)]));

        Assert.Equal("data.ca.crt", Assert.IsType<RejectedObject>(document.Rejection).Field);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("secrets.yaml", yaml).Documents);

    private static MeshSecret Read(string yaml)
    {
        var document = Parse(yaml);
        Assert.True(document.Rejection is null, $"{document.Rejection?.Field}: {document.Rejection?.Reason}");
        return Assert.IsType<MeshSecret>(document.Value);
    }

    /// <summary>A Secret in istio-system: <paramref name="data"/> base64-encoded here, <paramref name="rawData"/> as given, <paramref name="stringData"/> as double-quoted text.</summary>
    private static string Secret(
        string name,
        string type,
        (string Key, string Value)[]? data = null,
        (string Key, string Value)[]? stringData = null,
        (string Key, string Value)[]? rawData = null)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: istio-system\ntype: {type}\n");
        var encoded = (data ?? []).Select(item => (item.Key, Base64(item.Value))).Concat(rawData ?? []).ToList();
        if (encoded.Count > 0)
        {
            yaml.Append("data:\n");
            foreach (var (key, value) in encoded)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"  {key}: \"{value}\"\n");
            }
        }

        if (stringData is { Length: > 0 })
        {
            yaml.Append("stringData:\n");
            foreach (var (key, value) in stringData)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"  {key}: {Quote(value)}\n");
            }
        }

        return yaml.ToString();
    }

    private static string Pair(string cert, string key) => Secret("h", "kubernetes.io/tls", data: [("tls.crt", cert), ("tls.key", key)]);

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A YAML double-quoted scalar: every character survives, control characters included.</summary>
    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    private static string Repeat(string text, int atLeast)
    {
        var repeated = new StringBuilder(atLeast + text.Length);
        while (repeated.Length < atLeast)
        {
            repeated.Append(text);
        }

        return repeated.ToString();
    }

    /// <summary>The key's PEM with its last ten bytes of DER cut off.</summary>
    private static string Truncated(string keyPem)
    {
        var der = Convert.FromBase64String(Body(keyPem));
        return PemEncoding.WriteString("PRIVATE KEY", der.AsSpan(0, der.Length - 10)) + "\n";
    }

    /// <summary>Bytes that are not UTF-8 text, the same on every run.</summary>
    private static byte[] Junk(int length)
    {
        var random = new Random(20240501);
        var bytes = new byte[length];
        random.NextBytes(bytes);
        bytes[0] = 0xff;
        return bytes;
    }

    /// <summary>The base64 body of a PEM text, without its boundaries and line breaks.</summary>
    private static string Body(string pem) =>
        string.Concat(pem.Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal)).Select(line => line.Trim()));

    /// <summary>
    /// Fails when <paramref name="text"/> holds 20 characters in a row of <paramref name="keyPem"/>'s
    /// body or of its base64 encoding (the data value), or a PEM key header followed by base64.
    /// </summary>
    private static void AssertNoKeyMaterial(string text, string keyPem)
    {
        Assert.DoesNotMatch(PrivateKeyFollowedByBase64(), text);
        var body = Body(keyPem);
        var encoded = Base64(keyPem);
        for (var start = 0; start + 20 <= text.Length; start++)
        {
            var window = text.Substring(start, 20);
            Assert.False(body.Contains(window, StringComparison.Ordinal), $"the text holds key material at {start}");
            Assert.False(encoded.Contains(window, StringComparison.Ordinal), $"the text holds encoded key material at {start}");
        }
    }

    [GeneratedRegex("PRIVATE KEY-*\\s*[A-Za-z0-9+/=]{8}", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyFollowedByBase64();

    /// <summary>A CA and a leaf it signed, valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>, as PEM.</summary>
    private static Credential Issue(bool useRsa, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using AsymmetricAlgorithm caKey = useRsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using AsymmetricAlgorithm leafKey = useRsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var caRequest = Request("CN=Test Root CA", caKey);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        var leafRequest = Request("CN=bookinfo.example.com", leafKey);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("bookinfo.example.com");
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using var leaf = leafRequest.Create(ca, notBefore, notAfter, [1, 2, 3, 4, 5, 6, 7, 8]);

        var crlDer = new CertificateRevocationListBuilder().Build(ca, crlNumber: 1, nextUpdate: notAfter, HashAlgorithmName.SHA256, rsaSignaturePadding: useRsa ? RSASignaturePadding.Pkcs1 : null, thisUpdate: notBefore);
        var caPem = ca.ExportCertificatePem() + "\n";
        var leafPem = leaf.ExportCertificatePem() + "\n";
        return new Credential(
            Ca: caPem,
            Leaf: leafPem,
            Chain: leafPem + caPem,
            Crl: PemEncoding.WriteString("X509 CRL", crlDer) + "\n",
            Pkcs8Key: leafKey.ExportPkcs8PrivateKeyPem() + "\n",
            Pkcs1Key: leafKey is RSA rsa ? rsa.ExportRSAPrivateKeyPem() + "\n" : string.Empty,
            SecKey: leafKey is ECDsa ecdsa ? ecdsa.ExportECPrivateKeyPem() + "\n" : string.Empty,
            EncryptedKey: leafKey.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)) + "\n");

        static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256),
        };
    }

    /// <summary>One test credential as PEM text, each ending with a line break.</summary>
    private sealed record Credential(string Ca, string Leaf, string Chain, string Crl, string Pkcs8Key, string Pkcs1Key, string SecKey, string EncryptedKey);
}
