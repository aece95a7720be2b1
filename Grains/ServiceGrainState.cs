using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains;

/// <summary>What a ServiceGrain keeps: each member cluster's input, and a revision counter.</summary>
[GenerateSerializer]
public sealed class ServiceGrainState
{
    /// <summary>Cluster id to what that cluster declares for the hostname.</summary>
    [Id(0)]
    public Dictionary<string, ServiceInput> Inputs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every input change; orders the hostname's resource sets.</summary>
    [Id(1)]
    public long Revision { get; set; }
}
