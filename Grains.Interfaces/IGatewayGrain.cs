using Mesh.Orleans.Grains.Interfaces.Model;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The listeners and routes of the gateway workloads that carry one set of labels in one member
/// cluster (keyed by <see cref="ScopeNames.Gateway"/>). Active while frontends subscribe to it;
/// it asks its member cluster's <see cref="IClusterGrain"/> which Gateways select those labels,
/// and is told when they or the VirtualServices bound to them change.
/// </summary>
public interface IGatewayGrain : IScopeSource
{
    /// <summary>The member cluster's news: what the Gateways selecting this grain's labels say now. One-way.</summary>
    [OneWay]
    Task UpdateAsync(GatewayInputs inputs);
}
