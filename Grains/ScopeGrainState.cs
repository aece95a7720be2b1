using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains;

/// <summary>What a ScopeGrain keeps: the resources of every hostname it sees, and its epoch.</summary>
[GenerateSerializer]
public sealed class ScopeGrainState
{
    /// <summary>Identifies this incarnation of the scope; a new one means every frontend must resync.</summary>
    [Id(0)]
    public Guid Generation { get; set; }

    /// <summary>Bumped on every change that alters a resource.</summary>
    [Id(1)]
    public long Epoch { get; set; }

    /// <summary>Hostname to its resources at the latest revision seen.</summary>
    [Id(2)]
    public Dictionary<string, ServiceResources> Services { get; set; } = new(StringComparer.Ordinal);
}
