namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPMatchRequest</c>: all of its conditions must hold.</summary>
/// <param name="Uri">The path condition, or null for any path.</param>
/// <param name="Headers">Header conditions, sorted by name.</param>
/// <param name="Port">Restricts the match to one service port, or null for all.</param>
/// <param name="Scheme">The <c>:scheme</c> condition, or null.</param>
/// <param name="Method">The <c>:method</c> condition, or null.</param>
/// <param name="Authority">The <c>:authority</c> condition, or null.</param>
/// <param name="WithoutHeaders">Headers that must not match, sorted by name; null means none.</param>
/// <param name="QueryParams">Query parameter conditions, sorted by name; null means none.</param>
/// <param name="SourceLabels">Only proxies with these labels apply the match; null means any.</param>
/// <param name="SourceNamespace">Only proxies in this namespace apply the match; null means any.</param>
/// <param name="Gateways">The gateways the match applies to, overriding the VirtualService's; null or empty means the VirtualService's.</param>
/// <param name="IgnoreUriCase">Whether the path compares without case.</param>
/// <param name="Name">The match's name (appended to the route's), or null.</param>
/// <param name="StatPrefix">The route's stat prefix, or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpMatchSpec(
    [property: Id(0)] StringMatchSpec? Uri,
    [property: Id(1)] IReadOnlyList<HeaderMatchSpec> Headers,
    [property: Id(2)] int? Port,
    [property: Id(3)] StringMatchSpec? Scheme = null,
    [property: Id(4)] StringMatchSpec? Method = null,
    [property: Id(5)] StringMatchSpec? Authority = null,
    [property: Id(6)] IReadOnlyList<HeaderMatchSpec>? WithoutHeaders = null,
    [property: Id(7)] IReadOnlyList<HeaderMatchSpec>? QueryParams = null,
    [property: Id(8)] IReadOnlyDictionary<string, string>? SourceLabels = null,
    [property: Id(9)] string? SourceNamespace = null,
    [property: Id(10)] IReadOnlyList<string>? Gateways = null,
    [property: Id(11)] bool IgnoreUriCase = false,
    [property: Id(12)] string? Name = null,
    [property: Id(13)] string? StatPrefix = null);
