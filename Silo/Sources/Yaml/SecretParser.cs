using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads a Kubernetes <c>v1 Secret</c> that holds a TLS credential into a <see cref="MeshSecret"/>,
/// with the keys Istio's credentials controller reads (<c>pilot/pkg/credentials/kube/secrets.go</c>,
/// <c>ExtractCertInfo</c> and <c>ExtractRoot</c>): the pair <c>cert</c>/<c>key</c>, else
/// <c>tls.crt</c>/<c>tls.key</c>; CA certificates from <c>cacert</c>, else <c>ca.crt</c>; a CRL
/// from <c>crl</c>, else <c>ca.crl</c>. The keys decide, not the Secret's <c>type</c>. A Secret
/// with none of them (an application's Opaque Secret, a docker config) is ignored quietly, and so
/// are the two types Istio's <c>SecretsFieldSelector</c> never watches: service-account tokens
/// (whose <c>ca.crt</c> is the API server's, not a credential) and Helm releases.
/// </summary>
/// <remarks>
/// <para>
/// Values come from <c>data</c> (base64) and <c>stringData</c> (plain text), a key in
/// <c>stringData</c> winning as the API server merges them. Only the keys above are decoded:
/// the rest of a Secret is none of the mesh's business and never leaves this parser.
/// </para>
/// <para>
/// Every part is checked with .NET's own X.509 and key APIs, so that Envoy is never sent a
/// credential it would refuse: the chain is PEM <c>CERTIFICATE</c> blocks, each an X.509
/// certificate; the key one unencrypted PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) that
/// matches the first certificate; CA certificates likewise; a CRL is PEM <c>X509 CRL</c> blocks
/// (framing only). Expired certificates are accepted: Istio serves them too. Text outside the
/// blocks (RFC 7468 explanatory text) is kept, but not a malformed block.
/// </para>
/// <para>
/// The Secret holds a private key: a rejection names the field and the problem in fixed words,
/// never a value nor the message of an exception thrown while reading one.
/// </para>
/// </remarks>
internal static class SecretParser
{
    /// <summary>Largest value accepted, in bytes after base64 decoding (1 MiB, the size limit of a whole Secret in Kubernetes).</summary>
    public const int MaxValueBytes = 1024 * 1024;

    /// <summary>Most certificates accepted in a certificate chain; real chains hold two to four.</summary>
    public const int MaxChainCertificates = 100;

    /// <summary>
    /// Most certificates accepted in a CA bundle: more than in a chain, since a bundle may be a
    /// whole public root store (about 150 today), and each must still be parsed.
    /// </summary>
    public const int MaxCaCertificates = 1000;

    private const string Cert = "cert";
    private const string Key = "key";
    private const string CaCert = "cacert";
    private const string Crl = "crl";
    private const string TlsCert = "tls.crt";
    private const string TlsKey = "tls.key";
    private const string TlsCaCert = "ca.crt";
    private const string TlsCrl = "ca.crl";

    private const string CertificateLabel = "CERTIFICATE";
    private const string CrlLabel = "X509 CRL";
    private const string Pkcs8Label = "PRIVATE KEY";
    private const string RsaLabel = "RSA PRIVATE KEY";
    private const string EcLabel = "EC PRIVATE KEY";
    private const string EncryptedLabel = "ENCRYPTED PRIVATE KEY";

    // "openssl ecparam -genkey" writes the curve's parameters before the key; Envoy skips them.
    private const string EcParametersLabel = "EC PARAMETERS";

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    // Most PEM blocks looked at in a key: the key itself, and perhaps its EC PARAMETERS.
    private const int MaxKeyBlocks = 2;

    // Most PEM blocks looked at in a CRL value; Envoy accepts several CRLs concatenated.
    private const int MaxCrlBlocks = 100;

    /// <summary>
    /// Keys any of which makes a Secret a credential to read. <c>key</c> alone does not: it is
    /// too common a name in application Secrets (an API key) to be taken for half a key pair.
    /// </summary>
    private static readonly string[] s_credentialKeys = [Cert, TlsCert, TlsKey, CaCert, TlsCaCert, Crl, TlsCrl];

    private static readonly string[] s_allKeys = [Cert, Key, TlsCert, TlsKey, CaCert, TlsCaCert, Crl, TlsCrl];

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Parses the Secret <paramref name="name"/> of <paramref name="ns"/>: a <see cref="MeshSecret"/>,
    /// or a quiet <see cref="IgnoredObject"/> when it holds no TLS credential.
    /// </summary>
    public static object Parse(YamlMappingNode root, string ns, string name)
    {
        var type = YamlFields.OptionalString(root, "type", string.Empty);
        if (type is "kubernetes.io/service-account-token" or "helm.sh/release.v1")
        {
            return Ignored();
        }

        var data = YamlFields.OptionalMap(root, "data", string.Empty);
        var stringData = YamlFields.OptionalMap(root, "stringData", string.Empty);
        if (!s_credentialKeys.Any(key => Has(data, key) || Has(stringData, key)))
        {
            return Ignored();
        }

        var values = Read(data, stringData);

        YamlFields.RequireDnsSubdomain(name, "metadata.name");

        var pair = KeyPair(values);
        var ca = FirstWithText(values, CaCert, TlsCaCert);
        var crl = FirstWithText(values, Crl, TlsCrl);

        if (pair is null && ca is null)
        {
            if (crl is not null)
            {
                throw new InvalidFieldException(crl.Field, "a revocation list needs a certificate and key, or CA certificates, beside it");
            }

            // Istio's ExtractRoot: "found key %q, but it was empty".
            var empty = values.GetValueOrDefault(CaCert) ?? values.GetValueOrDefault(TlsCaCert) ?? values.Values.First();
            throw new InvalidFieldException(empty.Field, "is empty, and the Secret holds no other certificate");
        }

        string? chain = null;
        string? key = null;
        if (pair is { } found)
        {
            CheckKeyPair(found.Cert, found.Key);
            chain = Normalise(found.Cert.Text);
            key = Normalise(found.Key.Text);
        }

        if (ca is not null)
        {
            CheckCertificates(ca, MaxCaCertificates, keyName: null).Dispose();
        }

        if (crl is not null)
        {
            CheckCrl(crl);
        }

        return new MeshSecret(ns, name, chain, key, ca is null ? null : Normalise(ca.Text), crl is null ? null : Normalise(crl.Text));
    }

    private static IgnoredObject Ignored() => new(string.Empty) { Quiet = true };

    /// <summary>
    /// The values of the keys the mesh reads, <c>stringData</c> over <c>data</c>, decoded and
    /// checked to be text of at most <see cref="MaxValueBytes"/> bytes; <c>key</c> only beside
    /// <c>cert</c>. A key given with a null value counts as present and empty, as the API server
    /// stores it.
    /// </summary>
    private static Dictionary<string, Value> Read(YamlMappingNode? data, YamlMappingNode? stringData)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        var hasCert = Has(data, Cert) || Has(stringData, Cert);
        foreach (var key in s_allKeys)
        {
            if (key == Key && !hasCert)
            {
                continue; // Without cert, a key named "key" is an application's (an API key), not half a pair.
            }

            if (Scalar(stringData, key, "stringData") is { } plain)
            {
                var field = YamlFields.Join("stringData", key);
                if (Encoding.UTF8.GetByteCount(plain) > MaxValueBytes)
                {
                    throw TooLarge(field);
                }

                values[key] = new Value(field, RequireText(plain, field));
            }
            else if (Scalar(data, key, "data") is { } encoded)
            {
                var field = YamlFields.Join("data", key);
                values[key] = new Value(field, Decode(encoded, field));
            }
        }

        return values;
    }

    private static bool Has(YamlMappingNode? map, string key) => map is not null && YamlFields.Get(map, key) is not null;

    private static string? Scalar(YamlMappingNode? map, string key, string path)
    {
        if (map is null || YamlFields.Get(map, key) is not { } node)
        {
            return null;
        }

        return node is YamlScalarNode scalar
            ? (YamlFields.IsNull(scalar) ? string.Empty : scalar.Value ?? string.Empty)
            : throw new InvalidFieldException(YamlFields.Join(path, key), "must be a string");
    }

    private static string Decode(string encoded, string field)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            throw new InvalidFieldException(field, "is not valid base64");
        }

        if (bytes.Length > MaxValueBytes)
        {
            throw TooLarge(field);
        }

        string text;
        try
        {
            text = s_strictUtf8.GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw NotText(field);
        }

        return RequireText(text, field);
    }

    /// <summary>PEM is text: a control character other than a line break or tab means binary data, which Envoy would refuse.</summary>
    private static string RequireText(string text, string field)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                throw NotText(field);
            }
        }

        return text;
    }

    private static InvalidFieldException TooLarge(string field) =>
        new(field, $"is larger than {MaxValueBytes / (1024 * 1024)} MiB");

    private static InvalidFieldException NotText(string field) =>
        new(field, "holds binary data, not PEM text");

    /// <summary>
    /// The certificate and key, as Istio's <c>ExtractCertInfo</c> picks them: the generic pair
    /// when both hold a value, else the <c>tls.*</c> pair; null when the Secret holds neither,
    /// and a rejection when it holds only part of one.
    /// </summary>
    private static (Value Cert, Value Key)? KeyPair(Dictionary<string, Value> values)
    {
        foreach (var (cert, key) in new[] { (Cert, Key), (TlsCert, TlsKey) })
        {
            if (values.GetValueOrDefault(cert) is { Text.Length: > 0 } c && values.GetValueOrDefault(key) is { Text.Length: > 0 } k)
            {
                return (c, k);
            }
        }

        foreach (var (cert, key) in new[] { (Cert, Key), (TlsCert, TlsKey) })
        {
            var c = values.GetValueOrDefault(cert);
            var k = values.GetValueOrDefault(key);
            switch (c, k)
            {
                case ({ Text.Length: 0 }, { Text.Length: 0 }):
                    throw new InvalidFieldException(c.Field, $"found keys {cert} and {key}, but they were empty");
                case ({ Text.Length: 0 }, not null):
                    throw new InvalidFieldException(c.Field, $"is empty, but {key} holds a private key");
                case (not null, { Text.Length: 0 }):
                    throw new InvalidFieldException(k.Field, $"is empty, but {cert} holds a certificate");
                case (not null, null):
                    throw new InvalidFieldException(YamlFields.Join("data", key), $"is missing: the certificate in {c.Field} needs its private key");
                case (null, not null):
                    throw new InvalidFieldException(YamlFields.Join("data", cert), $"is missing: the private key in {k.Field} needs its certificate");
            }
        }

        return null;
    }

    private static Value? FirstWithText(Dictionary<string, Value> values, string first, string second) =>
        values.GetValueOrDefault(first) is { Text.Length: > 0 } value ? value
        : values.GetValueOrDefault(second) is { Text.Length: > 0 } other ? other
        : null;

    /// <summary>Checks the chain, and that the key is a private key that belongs to its first certificate.</summary>
    private static void CheckKeyPair(Value chain, Value key)
    {
        using var leaf = CheckCertificates(chain, MaxChainCertificates, KeyName(key));
        if (leaf.GetKeyAlgorithm() is not (RsaOid or EcOid))
        {
            throw new InvalidFieldException(chain.Field, "the first certificate's public key is neither RSA nor ECDSA, the kinds Envoy serves");
        }

        using var privateKey = LoadPrivateKey(key);
        try
        {
            // .NET compares the key's public half with the certificate's (modulus and exponent,
            // or curve point) and throws on a mismatch or on a key of the other algorithm.
            var withKey = privateKey is RSA rsa ? leaf.CopyWithPrivateKey(rsa) : leaf.CopyWithPrivateKey((ECDsa)privateKey);
            withKey.Dispose();
        }
        catch (Exception exception) when (IsReaderFailure(exception))
        {
            throw new InvalidFieldException(key.Field, $"does not match the certificate in {chain.Field}");
        }
    }

    /// <summary>The key's name without its source: <c>tls.key</c> for <c>data.tls.key</c>.</summary>
    private static string KeyName(Value key) => key.Field[(key.Field.IndexOf('.', StringComparison.Ordinal) + 1)..];

    /// <summary>
    /// Checks that <paramref name="value"/> is one to <paramref name="max"/> PEM certificates, each
    /// an X.509 certificate; the first one, for the caller to dispose. <paramref name="keyName"/>
    /// is where a private key found here belongs, null when none does.
    /// </summary>
    private static X509Certificate2 CheckCertificates(Value value, int max, string? keyName)
    {
        var blocks = Blocks(value, max, $"holds more than {max} certificates");
        if (blocks.Count == 0)
        {
            throw new InvalidFieldException(value.Field, "does not hold a PEM certificate");
        }

        if (blocks.Any(block => block.Label is Pkcs8Label or RsaLabel or EcLabel or EncryptedLabel))
        {
            throw new InvalidFieldException(value.Field, keyName is null
                ? "holds a private key where only certificates belong"
                : $"holds a private key where the certificate chain belongs; the key goes in {keyName}");
        }

        for (var index = 0; index < blocks.Count; index++)
        {
            if (blocks[index].Label != CertificateLabel)
            {
                throw new InvalidFieldException(value.Field, $"PEM block {index + 1} is not a CERTIFICATE");
            }

            if (index > 0)
            {
                LoadCertificate(blocks[index].Der, value.Field, index + 1).Dispose();
            }
        }

        return LoadCertificate(blocks[0].Der, value.Field, 1);
    }

    private static X509Certificate2 LoadCertificate(byte[] der, string field, int number)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (Exception exception) when (IsReaderFailure(exception))
        {
            throw new InvalidFieldException(field, $"certificate {number} is not a valid X.509 certificate");
        }
    }

    /// <summary>
    /// The one private key of <paramref name="key"/>, imported with .NET's key readers: PKCS#8
    /// (<c>PRIVATE KEY</c>, RSA or EC), PKCS#1 (<c>RSA PRIVATE KEY</c>) or SEC1 (<c>EC PRIVATE KEY</c>).
    /// </summary>
    private static AsymmetricAlgorithm LoadPrivateKey(Value key)
    {
        var blocks = Blocks(key, MaxKeyBlocks, "holds more PEM blocks than a private key");
        if (blocks.Any(block => block.Label == EncryptedLabel))
        {
            throw new InvalidFieldException(key.Field, "holds an encrypted private key; Envoy needs it unencrypted");
        }

        var keys = blocks.Where(block => block.Label is Pkcs8Label or RsaLabel or EcLabel).ToList();
        if (keys.Count > 1)
        {
            throw new InvalidFieldException(key.Field, "holds more than one private key");
        }

        if (keys.Count == 0 || blocks.Any(block => block.Label is not (Pkcs8Label or RsaLabel or EcLabel or EcParametersLabel)))
        {
            throw new InvalidFieldException(key.Field, "does not hold a PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }

        var (label, der) = keys[0];
        AsymmetricAlgorithm? imported = label switch
        {
            RsaLabel => Import(RSA.Create(), der, static (k, d) => { k.ImportRSAPrivateKey(d, out var read); return read; }),
            EcLabel => Import(ECDsa.Create(), der, static (k, d) => { k.ImportECPrivateKey(d, out var read); return read; }),
            _ => (AsymmetricAlgorithm?)Import(RSA.Create(), der, static (k, d) => { k.ImportPkcs8PrivateKey(d, out var read); return read; })
                ?? Import(ECDsa.Create(), der, static (k, d) => { k.ImportPkcs8PrivateKey(d, out var read); return read; }),
        };
        return imported ?? throw new InvalidFieldException(key.Field, "does not hold a valid RSA or EC private key");
    }

    /// <summary>Imports <paramref name="der"/> into <paramref name="key"/>; null, and the key disposed, when it is not such a key or has bytes left over.</summary>
    private static T? Import<T>(T key, byte[] der, Func<T, byte[], int> import)
        where T : AsymmetricAlgorithm
    {
        try
        {
            if (import(key, der) == der.Length)
            {
                return key;
            }
        }
        catch (Exception exception) when (IsReaderFailure(exception))
        {
            // Not a key of this algorithm: the caller tries the next or rejects in its own words.
        }

        key.Dispose();
        return null;
    }

    /// <summary>
    /// What .NET's certificate and key readers throw on bad input: <see cref="CryptographicException"/>
    /// mostly, <see cref="ArgumentException"/> for a key of the wrong algorithm, and
    /// <see cref="PlatformNotSupportedException"/> for a curve OpenSSL does not know (found by
    /// flipping bytes of an EC key). Their messages are never shown: the parser words its own.
    /// </summary>
    private static bool IsReaderFailure(Exception exception) =>
        exception is CryptographicException or ArgumentException or NotSupportedException;

    private static void CheckCrl(Value crl)
    {
        var blocks = Blocks(crl, MaxCrlBlocks, $"holds more than {MaxCrlBlocks} PEM blocks");
        if (blocks.Count == 0 || blocks.Any(block => block.Label != CrlLabel))
        {
            throw new InvalidFieldException(crl.Field, "does not hold PEM X509 CRL blocks only");
        }
    }

    /// <summary>
    /// The PEM blocks of <paramref name="value"/>, found with <see cref="PemEncoding"/>. More than
    /// <paramref name="max"/> block openings are refused before any search, since each failed
    /// opening costs a scan of the rest of the text. Text between blocks may be explanatory text
    /// (RFC 7468), but not a PEM boundary: that would be a malformed block.
    /// </summary>
    private static List<(string Label, byte[] Der)> Blocks(Value value, int max, string tooMany)
    {
        var text = value.Text.AsSpan();
        if (Count(text, "-----BEGIN") > max)
        {
            throw new InvalidFieldException(value.Field, tooMany);
        }

        var blocks = new List<(string Label, byte[] Der)>();
        while (PemEncoding.TryFind(text, out var fields))
        {
            RequireNoBoundary(text[..fields.Location.Start], value.Field);
            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written) || written != der.Length)
            {
                throw new InvalidFieldException(value.Field, "holds a malformed PEM block");
            }

            blocks.Add((text[fields.Label].ToString(), der));
            text = text[fields.Location.End..];
        }

        RequireNoBoundary(text, value.Field);
        return blocks;
    }

    private static void RequireNoBoundary(ReadOnlySpan<char> between, string field)
    {
        if (between.Contains("-----", StringComparison.Ordinal))
        {
            throw new InvalidFieldException(field, "holds a malformed PEM block");
        }
    }

    private static int Count(ReadOnlySpan<char> text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, StringComparison.Ordinal))
        {
            count++;
            text = text[(at + what.Length)..];
        }

        return count;
    }

    /// <summary>PEM as stored: trimmed, with one final line break.</summary>
    private static string Normalise(string text) => text.Trim() + "\n";

    /// <summary>One value the mesh reads, and the field it came from (<c>data.tls.crt</c>, <c>stringData.cert</c>).</summary>
    private sealed record Value(string Field, string Text);
}
