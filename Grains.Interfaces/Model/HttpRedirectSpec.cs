namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRedirect</c>: the route answers with a 3xx instead of forwarding.</summary>
/// <param name="Uri">The path that replaces the whole request path, or null.</param>
/// <param name="Authority">The authority (host) that replaces the request's, or null.</param>
/// <param name="Port">The port of the redirect, or null.</param>
/// <param name="DerivePort">When <see cref="Port"/> is null: <c>FROM_PROTOCOL_DEFAULT</c> or <c>FROM_REQUEST_PORT</c>, or null.</param>
/// <param name="Scheme">The scheme (<c>http</c> or <c>https</c>), or null to keep the request's.</param>
/// <param name="RedirectCode">The status: 301 (the default), 302, 303, 307 or 308.</param>
/// <param name="PrefixRewrite">The prefix that replaces the matched prefix, or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpRedirectSpec(
    [property: Id(0)] string? Uri,
    [property: Id(1)] string? Authority,
    [property: Id(2)] int? Port,
    [property: Id(3)] string? DerivePort,
    [property: Id(4)] string? Scheme,
    [property: Id(5)] int RedirectCode,
    [property: Id(6)] string? PrefixRewrite);
