namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>One cluster of a weighted split, as the proxy holds it.</summary>
/// <param name="Cluster">The cluster's name.</param>
/// <param name="Weight">Its weight among the split's clusters.</param>
/// <param name="Exists">Whether the proxy has the cluster; a share sent to a missing one fails (503, NC).</param>
/// <param name="Endpoints">Its endpoints as <c>address:port</c>, empty when it is missing or has none.</param>
public sealed record WeightedTarget(string Cluster, uint Weight, bool Exists, IReadOnlyList<string> Endpoints);
