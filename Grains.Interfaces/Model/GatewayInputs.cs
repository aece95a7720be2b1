namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What a set of gateway workloads (those carrying one set of labels in one member cluster) is
/// configured by: the Gateways whose selectors those labels satisfy, the VirtualServices bound
/// to any of them (with the delegates they name), and the ports of every destination those
/// VirtualServices route to. Equal inputs give equal resources.
/// </summary>
/// <param name="Gateways">The selected Gateways, in namespace then name order (the order their servers merge in).</param>
/// <param name="VirtualServices">The VirtualServices whose <c>gateways</c> name one of them, then the delegates those name; in namespace then name order.</param>
/// <param name="DestinationPorts">The ports of every destination host that is a Service, to infer omitted ports and leave out missing destinations.</param>
/// <param name="EnvoyFilters">The EnvoyFilters that patch the gateways (the root namespace's and their own namespace's that select them), in namespace then name order; null when none.</param>
[GenerateSerializer, Immutable]
public sealed record GatewayInputs(
    [property: Id(0)] IReadOnlyList<GatewaySpec> Gateways,
    [property: Id(1)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(2)] IReadOnlyDictionary<string, IReadOnlyList<int>> DestinationPorts,
    [property: Id(3)] IReadOnlyList<EnvoyFilterSpec>? EnvoyFilters = null)
{
    /// <summary>No Gateway selects the workloads.</summary>
    public static GatewayInputs None { get; } = new(new List<GatewaySpec>(), new List<VirtualServiceSpec>(), new Dictionary<string, IReadOnlyList<int>>());
}
