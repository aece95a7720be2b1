namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>One request the fake API server answered, logged when its response started.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="PathAndQuery">The path and query string as the client sent them.</param>
/// <param name="StatusCode">The response status code.</param>
/// <param name="Protocol">The HTTP protocol, such as <c>HTTP/2</c>.</param>
public sealed record FakeKubernetesRequest(string Method, string PathAndQuery, int StatusCode, string Protocol)
{
    /// <summary>Whether the request opened a watch (<c>watch=true</c> or <c>watch=1</c>).</summary>
    public bool IsWatch => Query.Contains("watch=true") || Query.Contains("watch=1");

    /// <summary>The path without the query string.</summary>
    public string Path => PathAndQuery.Split('?', 2)[0];

    /// <summary>The query parameters as sent (<c>name=value</c>, still URL-encoded).</summary>
    public IReadOnlyList<string> Query =>
        PathAndQuery.Split('?', 2) is [_, var query] ? query.Split('&', StringSplitOptions.RemoveEmptyEntries) : [];
}
