using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Where a VirtualService route destination points: one rule, shared by the route
/// translator and the analyzer, so what is served and what is reported agree.
/// </summary>
public static class RouteDestinations
{
    /// <summary>
    /// The destination's port: the one it names; else the destination's only port when it has
    /// exactly one; else the port being routed, as Istio infers it.
    /// </summary>
    public static int Port(RouteDestinationSpec destination, int routedPort, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        return destination.Port
            ?? (destinationPorts.TryGetValue(destination.Host, out var ports) && ports.Count == 1 ? ports[0] : routedPort);
    }

    /// <summary>
    /// Whether the destination's cluster exists: its host is a Service of the mesh
    /// (<paramref name="destinationPorts"/> holds the ports of every destination that is one)
    /// with that port.
    /// </summary>
    public static bool Exists(RouteDestinationSpec destination, int routedPort, IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        return destinationPorts.TryGetValue(destination.Host, out var ports)
            && ports.Contains(Port(destination, routedPort, destinationPorts));
    }
}
