using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains;

/// <summary>What a ClusterGrain keeps: the hash of each hostname's last pushed input, the rejections and the warnings.</summary>
[GenerateSerializer]
public sealed class ClusterGrainState
{
    /// <summary>Hostname to the hash of the input last pushed to its ServiceGrain.</summary>
    [Id(0)]
    public Dictionary<string, string> InputHashes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The objects the source rejected in its last declaration.</summary>
    [Id(1)]
    public List<RejectedObject> Rejected { get; set; } = [];

    /// <summary>Valid objects of the last declaration that refer to what the cluster does not have.</summary>
    [Id(2)]
    public List<ConfigWarning> Warnings { get; set; } = [];
}
