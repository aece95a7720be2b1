namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>CorsPolicy</c>.</summary>
/// <param name="AllowOrigins">The origins allowed (<c>allowOrigins</c>, or the deprecated <c>allowOrigin</c> as exact matches).</param>
/// <param name="AllowMethods">The methods allowed.</param>
/// <param name="AllowHeaders">The request headers allowed.</param>
/// <param name="ExposeHeaders">The response headers the browser may read.</param>
/// <param name="MaxAge">How long a preflight may be cached (whole seconds), or null.</param>
/// <param name="AllowCredentials">Whether credentials are allowed, or null.</param>
/// <param name="UnmatchedPreflights">What happens to preflights that match no origin: <c>FORWARD</c> (the default) or <c>IGNORE</c>.</param>
[GenerateSerializer, Immutable]
public sealed record CorsPolicySpec(
    [property: Id(0)] IReadOnlyList<StringMatchSpec> AllowOrigins,
    [property: Id(1)] IReadOnlyList<string> AllowMethods,
    [property: Id(2)] IReadOnlyList<string> AllowHeaders,
    [property: Id(3)] IReadOnlyList<string> ExposeHeaders,
    [property: Id(4)] TimeSpan? MaxAge,
    [property: Id(5)] bool? AllowCredentials,
    [property: Id(6)] string UnmatchedPreflights);
