namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A DestinationRule <c>loadBalancer</c>: a simple policy, or consistent hashing on one key.</summary>
/// <param name="Simple">ROUND_ROBIN, LEAST_REQUEST, RANDOM or PASSTHROUGH (LEAST_CONN reads as LEAST_REQUEST, as in Istio).</param>
/// <param name="HashKey">For consistent hashing: <c>header:&lt;name&gt;</c>, <c>cookie:&lt;name&gt;</c>, <c>query:&lt;name&gt;</c> or <c>source-ip</c>.</param>
/// <param name="CookiePath">The generated cookie's path, for a cookie key.</param>
/// <param name="CookieTtl">The generated cookie's lifetime, for a cookie key.</param>
/// <param name="MinimumRingSize">The ring hash's minimum size, or null for Envoy's default.</param>
/// <param name="MaglevTableSize">Set when Maglev is asked for instead of a ring hash.</param>
/// <param name="LocalityLb">The <c>localityLbSetting</c> when it is not the default (see <see cref="Xds.LocalityLbPolicy.Of"/>), else null.</param>
[GenerateSerializer, Immutable]
public sealed record LoadBalancerSpec(
    [property: Id(0)] string? Simple,
    [property: Id(1)] string? HashKey,
    [property: Id(2)] string? CookiePath,
    [property: Id(3)] TimeSpan? CookieTtl,
    [property: Id(4)] long? MinimumRingSize,
    [property: Id(5)] long? MaglevTableSize,
    [property: Id(6)] Xds.LocalityLbPolicy? LocalityLb = null);
