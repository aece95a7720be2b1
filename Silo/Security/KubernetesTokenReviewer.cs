using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Mesh.Orleans.Xds.Frontend.Security;

namespace Mesh.Orleans.Silo.Security;

/// <summary>
/// Bearer tokens checked as istiod checks them: a Kubernetes TokenReview (<c>authentication.k8s.io/v1</c>)
/// for the audience <c>istio-ca</c>, through the client of the member cluster this deployment runs in.
/// Only a service account's token (<c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>) is accepted.
/// What the API answers is passed on; the token never is.
/// </summary>
public sealed partial class KubernetesTokenReviewer(Func<IKubernetes> connect, string audience, ILogger<KubernetesTokenReviewer> logger) : ITokenReviewer
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    private readonly Lazy<IKubernetes> _client = new(connect);

    /// <inheritdoc/>
    public async Task<TokenReview> ReviewAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        V1TokenReview review;
        try
        {
            review = await _client.Value.AuthenticationV1.CreateTokenReviewAsync(
                new V1TokenReview
                {
                    ApiVersion = "authentication.k8s.io/v1",
                    Kind = "TokenReview",
                    Spec = new V1TokenReviewSpec { Token = token, Audiences = [audience] },
                },
                cancellationToken: cancellationToken);
        }
        catch (Exception exception) when (exception is HttpOperationException or HttpRequestException or KubeConfigException or IOException)
        {
            var reason = exception is HttpOperationException http ? $"it answered {(int)http.Response.StatusCode} {http.Response.StatusCode}" : exception.Message;
            LogUnavailable(logger, reason);
            return TokenReview.Refusal($"the Kubernetes TokenReview API could not review the token ({reason})");
        }

        var status = review.Status;
        if (status?.Authenticated != true)
        {
            return TokenReview.Refusal($"the Kubernetes API did not authenticate the token{(string.IsNullOrEmpty(status?.Error) ? string.Empty : ": " + status.Error)}");
        }

        if (status.Audiences is { Count: > 0 } audiences && !audiences.Contains(audience))
        {
            return TokenReview.Refusal($"the token is not for the audience {audience}");
        }

        var user = status.User?.Username ?? string.Empty;
        var parts = user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? user[ServiceAccountPrefix.Length..].Split(':') : [];
        return parts is [{ Length: > 0 } ns, { Length: > 0 } account]
            ? TokenReview.Accepted(ns, account)
            : TokenReview.Refusal($"the token is not a service account's (it is {(user.Length == 0 ? "nobody's" : user)})");
    }

    [LoggerMessage(EventId = 450, Level = LogLevel.Warning, Message = "The Kubernetes TokenReview API could not review a bearer token ({Reason}); the caller is refused")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
