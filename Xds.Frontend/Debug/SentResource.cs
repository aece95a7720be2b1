using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>One resource a proxy holds as a stream of this frontend sent it, for its config dump.</summary>
/// <param name="TypeUrl">The resource's type URL.</param>
/// <param name="Name">The resource name.</param>
/// <param name="Version">The resource's content-hash version (what a Delta client holds it at).</param>
/// <param name="Resource">
/// The resource as sent; null for a secret (a config dump never carries key material) and for a
/// Delta resource whose sent version the cache no longer holds (the stream is about to replace it).
/// </param>
public sealed record SentResource(string TypeUrl, string Name, string Version, Any? Resource);
