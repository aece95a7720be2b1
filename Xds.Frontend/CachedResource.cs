using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// A resource as every stream on this process sends it: the <see cref="Any"/> is built
/// once when the resource arrives, and the same instance (and bytes) goes into every
/// response that carries it.
/// </summary>
/// <param name="TypeUrl">The resource's type URL.</param>
/// <param name="Name">The resource name.</param>
/// <param name="Version">The resource's content-hash version.</param>
/// <param name="Any">The resource as it goes on the wire.</param>
/// <param name="LocalityLb">For a ClusterLoadAssignment, its cluster's locality load-balancer setting (null: the default).</param>
public sealed record CachedResource(string TypeUrl, string Name, string Version, Any Any, LocalityLbPolicy? LocalityLb = null);
