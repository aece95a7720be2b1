namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// One Envoy resource, serialised once. <see cref="Version"/> is a hash of
/// <see cref="Payload"/>, so every silo and frontend agrees on it.
/// </summary>
/// <param name="TypeUrl">The resource's type URL.</param>
/// <param name="Name">The resource name.</param>
/// <param name="Version">The content hash of <paramref name="Payload"/>.</param>
/// <param name="Payload">The serialised message (the value of its <c>Any</c>).</param>
/// <param name="Audience">The kinds of proxy it is built for; scopes of other kinds leave it out.</param>
/// <param name="LocalityLb">
/// For a ClusterLoadAssignment, its cluster's locality load-balancer setting when it is not the
/// default (the frontend builds per-locality priorities under it); then <paramref name="Version"/>
/// also takes it in (<see cref="LocalityLbPolicy.VersionOf"/>). Null otherwise.
/// </param>
[GenerateSerializer, Immutable]
public sealed record XdsResource(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string Name,
    [property: Id(2)] string Version,
    [property: Id(3)] byte[] Payload,
    [property: Id(4)] ResourceAudience Audience = ResourceAudience.All,
    [property: Id(5)] LocalityLbPolicy? LocalityLb = null)
{
    /// <summary>The resource's identity within a scope.</summary>
    public ResourceKey Key => new(TypeUrl, Name);
}
