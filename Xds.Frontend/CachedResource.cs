using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// A resource as every stream on this process sends it: the <see cref="Any"/> is built
/// once when the resource arrives, and the same instance (and bytes) goes into every
/// response that carries it; so does its Delta <see cref="Resource"/> wrapper
/// (<see cref="DeltaResource"/>), built on first use.
/// </summary>
/// <param name="TypeUrl">The resource's type URL.</param>
/// <param name="Name">The resource name.</param>
/// <param name="Version">The resource's content-hash version.</param>
/// <param name="Any">The resource as it goes on the wire.</param>
/// <param name="LocalityLb">For a ClusterLoadAssignment, its cluster's locality load-balancer setting (null: the default).</param>
public sealed record CachedResource(string TypeUrl, string Name, string Version, Any Any, LocalityLbPolicy? LocalityLb = null)
{
    private Resource? _deltaResource;

    /// <summary>A copy (<c>with</c>) builds its own wrapper from its own values.</summary>
    private CachedResource(CachedResource original)
    {
        TypeUrl = original.TypeUrl;
        Name = original.Name;
        Version = original.Version;
        Any = original.Any;
        LocalityLb = original.LocalityLb;
    }

    /// <summary>
    /// The resource as a Delta response carries it (name, version and the shared <see cref="Any"/>),
    /// built once per resource version (or locality variant) and shared by every Delta stream's
    /// responses, which only read it. Never modify it.
    /// </summary>
    public Resource DeltaResource
    {
        get
        {
            var wrapper = Volatile.Read(ref _deltaResource);
            if (wrapper is null)
            {
                wrapper = new Resource { Name = Name, Version = Version, Resource_ = Any };
                wrapper = Interlocked.CompareExchange(ref _deltaResource, wrapper, null) ?? wrapper;
            }

            return wrapper;
        }
    }

    /// <summary>Equal when the record's values are (the wrapper, derived from them, is left out).</summary>
    public bool Equals(CachedResource? other) =>
        other is not null && TypeUrl == other.TypeUrl && Name == other.Name && Version == other.Version && Equals(Any, other.Any) && LocalityLb == other.LocalityLb;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TypeUrl, Name, Version, Any, LocalityLb);
}
