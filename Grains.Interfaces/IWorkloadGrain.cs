using Mesh.Orleans.Grains.Interfaces.Model;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// One workload's own resources (keyed by <see cref="ScopeNames.Workload"/>): for a sidecar, its
/// inbound listener and clusters. Active while frontends subscribe to it; it asks its member
/// cluster's <see cref="IClusterGrain"/> what the workload serves, and is told when that changes.
/// </summary>
public interface IWorkloadGrain : IScopeSource
{
    /// <summary>The member cluster's news: what the workload at this grain's address serves now. One-way.</summary>
    [OneWay]
    Task UpdateAsync(WorkloadInputs inputs);
}
