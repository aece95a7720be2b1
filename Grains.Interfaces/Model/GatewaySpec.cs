namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>Gateway</c>, validated: the listeners a set of gateway workloads opens, and the hosts each serves.</summary>
/// <param name="Namespace">The Gateway's namespace.</param>
/// <param name="Name">The Gateway's name (a DNS label, as Istio requires).</param>
/// <param name="Selector">The labels of the gateway workloads it configures; empty selects every gateway workload, as in Istio.</param>
/// <param name="Servers">The servers (one listener port each), in order.</param>
[GenerateSerializer, Immutable]
public sealed record GatewaySpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string> Selector,
    [property: Id(3)] IReadOnlyList<GatewayServerSpec> Servers);
