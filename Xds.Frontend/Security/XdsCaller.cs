using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Security;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>Who a call on the TLS xDS port is: its identity, and how it proved it.</summary>
/// <param name="Identity">The workload identity.</param>
/// <param name="Method">"client certificate" or "token".</param>
public sealed record XdsCaller(SpiffeId Identity, string Method);

/// <summary>
/// Authenticates calls on the TLS xDS port, as istiod's authenticators do: a client certificate
/// that chains to the mesh root proves its SPIFFE identity; otherwise a bearer token
/// (<c>authorization: Bearer …</c>) is reviewed (token file or Kubernetes TokenReview) and proves
/// its service account. A presented certificate that does not verify is refused outright (no
/// falling back to a token). Calls on the plaintext port are not authenticated (istiod's 15010).
/// </summary>
public sealed class CallerAuthenticator(MeshTls tls, ITokenReviewer tokens)
{
    /// <summary>Longest bearer token read.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>True when the call came over TLS (the TLS xDS port), so it must authenticate.</summary>
    public static bool IsSecure(ServerCallContext call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Internal.CallContexts.HttpContextOf(call)?.Features.Get<ITlsHandshakeFeature>() is not null;
    }

    /// <summary>The caller, or why it is not authenticated (safe to send back: never a token or a key).</summary>
    public async Task<(XdsCaller? Caller, string? Problem)> AuthenticateAsync(ServerCallContext call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var http = Internal.CallContexts.HttpContextOf(call);
        var certificate = http?.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
        if (certificate is not null)
        {
            var (identity, problem) = tls.Authenticate(certificate);
            return identity is null ? (null, problem) : (new XdsCaller(identity, "client certificate"), null);
        }

        var header = call.RequestHeaders.GetValue("authorization");
        if (header is null)
        {
            return (null, "no client certificate and no bearer token (authorization: Bearer <token>)");
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (null, "the authorization header is not 'Bearer <token>'");
        }

        var token = header[7..].Trim();
        if (token.Length == 0 || token.Length > MaxTokenLength)
        {
            return (null, $"the bearer token is empty or longer than {MaxTokenLength} characters");
        }

        var review = await tokens.ReviewAsync(token, cancellationToken);
        if (review.Refused is { } refused)
        {
            return (null, refused);
        }

        return SpiffeId.TryParse($"{SpiffeId.Scheme}{tls.TrustDomain}/ns/{review.Namespace}/sa/{review.ServiceAccount}", out var id, out var why)
            ? (new XdsCaller(id, "token"), null)
            : (null, $"the token's service account is not a workload identity: {why}");
    }
}
