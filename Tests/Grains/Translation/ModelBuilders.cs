using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>Terse builders of model records for translation tests.</summary>
internal static class ModelBuilders
{
    public static MeshService Service(string name, params int[] ports) =>
        new("default", name, ports.Select(p => new ServicePort(ports.Length == 1 ? "grpc" : $"p{p}", p, null, "TCP", null)).ToList());

    public static MeshEndpointSlice Slice(string name, string service, int port, params (string Address, bool Ready, string? Zone)[] endpoints) =>
        new("default", name, service, "IPv4", [new SlicePort("grpc", port, "TCP")],
            endpoints.Select(e => new SliceEndpoint([e.Address], e.Ready, e.Ready, false, e.Zone, null, null)).ToList());

    public static VirtualServiceSpec VirtualService(string host, params HttpRouteSpec[] http) => new("default", "vs-" + host.Split('.')[0], [host], http);

    public static HttpRouteSpec Route(IReadOnlyList<HttpMatchSpec> match, TimeSpan? timeout, params (string Host, int? Port, int Weight)[] destinations) =>
        new(null, match, destinations.Select(d => new RouteDestinationSpec(d.Host, d.Port, d.Weight)).ToList(), timeout);
}
