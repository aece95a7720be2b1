using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// A resource as every stream on this process sends it: the <see cref="Any"/> is built
/// once when the resource arrives, and the same instance (and bytes) goes into every
/// response that carries it.
/// </summary>
public sealed record CachedResource(string TypeUrl, string Name, string Version, Any Any);
