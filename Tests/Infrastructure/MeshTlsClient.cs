using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Istio.V1.Auth;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// gRPC channels to the TLS xDS port as a proxy or agent opens them: the server's certificate
/// checked against the mesh root and the name dialled, then a client certificate, a bearer
/// token, or neither.
/// </summary>
public static class MeshTlsClient
{
    /// <summary>The name istiod answers to, in the server certificate by default.</summary>
    public const string ServerName = "istiod.istio-system.svc";

    /// <summary>A channel to the TLS port <paramref name="port"/>.</summary>
    public static GrpcChannel Channel(int port, X509Certificate2 root, X509Certificate2? clientCertificate = null, string? token = null, string serverName = ServerName)
    {
        var sockets = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && VerifyServer(new X509Certificate2(certificate), root, serverName),
            },
        };
        HttpMessageHandler handler = token is null ? sockets : new BearerTokenHandler(token) { InnerHandler = sockets };
        return GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>True when <paramref name="server"/> chains to <paramref name="root"/>, is for server authentication and names <paramref name="serverName"/>.</summary>
    public static bool VerifyServer(X509Certificate2 server, X509Certificate2 root, string serverName)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(server) && server.MatchesHostname(serverName);
    }

    /// <summary>A P-256 key and a CSR naming <paramref name="identity"/> as its one URI SAN (as istio-agent makes).</summary>
    public static (ECDsa Key, string CsrPem) Csr(string identity)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(identity));
        request.CertificateExtensions.Add(names.Build());
        return (key, request.CreateSigningRequestPem());
    }

    /// <summary>Asks the CA on <paramref name="port"/> for a certificate for <paramref name="identity"/>, authenticated by <paramref name="token"/>; the certificate with its key.</summary>
    public static async Task<(X509Certificate2 Certificate, IReadOnlyList<string> Chain)> IssueAsync(int port, X509Certificate2 root, string token, string identity)
    {
        using var channel = Channel(port, root, token: token);
        var (key, csr) = Csr(identity);
        using (key)
        {
            var response = await new IstioCertificateService.IstioCertificateServiceClient(channel).CreateCertificateAsync(new IstioCertificateRequest { Csr = csr, ValidityDuration = 3600 });
            using var leaf = X509Certificate2.CreateFromPem(response.CertChain[0]);
            using var withKey = leaf.CopyWithPrivateKey(key);

            // SslStream on Linux wants a certificate whose key it can hand to OpenSSL: a PKCS#12 round trip gives one.
            return (X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null), response.CertChain);
        }
    }

    private sealed class BearerTokenHandler(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
