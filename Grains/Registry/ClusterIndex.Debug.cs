using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>The index's objects as a whole, for the debug endpoints.</summary>
public sealed partial class ClusterIndex
{
    /// <summary>Every object the cluster holds, keyed by kind, namespace and name, in no particular order.</summary>
    public IEnumerable<KeyValuePair<MeshObjectKey, object>> Objects => _objects;
}
