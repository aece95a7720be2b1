using Grpc.Core;
using Istio.V1.Auth;
using Mesh.Orleans.Grains.Interfaces.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// Istio's CA API, <c>istio.v1.auth.IstioCertificateService/CreateCertificate</c>, as istiod serves it
/// on its TLS port: the caller authenticates (mesh client certificate or bearer token), its CSR must
/// name the caller's identity, and it gets the signed certificate, the CA chain and the root last.
/// Answered on the TLS xDS port only; Istio's impersonation (<c>ImpersonatedIdentity</c>) is refused.
/// </summary>
internal sealed partial class IstioCertificateServiceImpl(
    CallerAuthenticator authenticator,
    IMeshCertificateClient ca,
    IOptions<MeshSecurityOptions> options,
    ILogger<IstioCertificateServiceImpl> logger) : IstioCertificateService.IstioCertificateServiceBase
{
    /// <inheritdoc/>
    public override async Task<IstioCertificateResponse> CreateCertificate(IstioCertificateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (!CallerAuthenticator.IsSecure(context))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the CA answers on the TLS xDS port only"));
        }

        var (caller, problem) = await authenticator.AuthenticateAsync(context, context.CancellationToken);
        if (caller is null)
        {
            LogUnauthenticated(logger, context.Peer, problem!);
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"request authenticate failure: {problem}"));
        }

        if (request.Metadata?.Fields.TryGetValue("ImpersonatedIdentity", out var impersonated) == true && impersonated.StringValue.Length > 0)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "request impersonation authentication failure: this CA signs for the caller's own identity only"));
        }

        TimeSpan? lifetime = null;
        if (request.ValidityDuration > 0)
        {
            var max = options.Value.MaxWorkloadCertLifetime;
            if (request.ValidityDuration > max.TotalSeconds)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"requested TTL {request.ValidityDuration} s is greater than the max allowed TTL {(long)max.TotalSeconds} s"));
            }

            lifetime = TimeSpan.FromSeconds(request.ValidityDuration);
        }

        var identity = caller.Identity.ToString();
        var signed = await ca.SignAsync(request.Csr, identity, lifetime, context.CancellationToken);
        if (signed.Refused is { } refused)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"CSR signing error: {refused}"));
        }

        LogIssued(logger, identity, caller.Method, context.Peer);
        var response = new IstioCertificateResponse();
        response.CertChain.AddRange(signed.Chain);
        return response;
    }

    [LoggerMessage(EventId = 443, Level = LogLevel.Warning, Message = "CA request from {Peer} refused: {Reason}")]
    private static partial void LogUnauthenticated(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 444, Level = LogLevel.Information, Message = "CA issued a certificate for {Identity} (authenticated by {Method}) to {Peer}")]
    private static partial void LogIssued(ILogger logger, string identity, string method, string peer);
}
