namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>Checks a bearer token and says whose service account it is.</summary>
public interface ITokenReviewer
{
    /// <summary>The token's namespace and service account, or why it is refused (never the token itself).</summary>
    Task<TokenReview> ReviewAsync(string token, CancellationToken cancellationToken);
}

/// <summary>What a token review answers: the service account, or the reason the token is refused.</summary>
public sealed record TokenReview(string? Namespace, string? ServiceAccount, string? Refused)
{
    /// <summary>A token of <paramref name="serviceAccount"/> in <paramref name="ns"/>.</summary>
    public static TokenReview Accepted(string ns, string serviceAccount) => new(ns, serviceAccount, null);

    /// <summary>A refused token.</summary>
    public static TokenReview Refusal(string reason) => new(null, null, reason);
}

/// <summary>Refuses every token: neither a token file nor a Kubernetes API is configured.</summary>
public sealed class NoTokenReviewer : ITokenReviewer
{
    /// <inheritdoc/>
    public Task<TokenReview> ReviewAsync(string token, CancellationToken cancellationToken) =>
        Task.FromResult(TokenReview.Refusal("bearer tokens are not accepted here: no token file (--token-file) and no Kubernetes API is configured; authenticate with a mesh client certificate"));
}
