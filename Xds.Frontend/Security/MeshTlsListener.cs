using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>Makes a Kestrel listener the TLS xDS port.</summary>
public static class MeshTlsListener
{
    /// <summary>
    /// TLS 1.2 or 1.3 with HTTP/2, the server certificate <paramref name="tls"/> holds at each
    /// handshake (so a renewed one is used from then on), and a client certificate asked for but
    /// not required: a token caller presents none. A presented certificate is accepted at the
    /// handshake and checked per call (<see cref="CallerAuthenticator"/>), so its caller learns
    /// why it is refused instead of seeing a broken handshake.
    /// </summary>
    public static ListenOptions UseMeshTls(this ListenOptions listen, MeshTls tls)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(tls);
        return listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = tls.ServerContext,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            }),
        });
    }
}
