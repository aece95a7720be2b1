namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRewrite</c>: what changes in the request before it is forwarded.</summary>
/// <param name="Uri">The prefix that replaces the matched path prefix (or whole path), or null.</param>
/// <param name="Authority">The authority that replaces the request's, or null.</param>
/// <param name="UriRegexMatch">With <paramref name="UriRegexRewrite"/>: the RE2 pattern whose matches in the path are replaced, or null.</param>
/// <param name="UriRegexRewrite">The substitution for <paramref name="UriRegexMatch"/> (may use <c>\1</c> groups), or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpRewriteSpec(
    [property: Id(0)] string? Uri,
    [property: Id(1)] string? Authority,
    [property: Id(2)] string? UriRegexMatch,
    [property: Id(3)] string? UriRegexRewrite);
