using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;

namespace Mesh.Orleans.Tests.Grains.Registry;

/// <summary>The workload index finds what a workload serves from the endpoints at its IP, as Istio finds a proxy's service targets.</summary>
public sealed class WorkloadIndexTests
{
    private static MeshService Service(string name, params ServicePort[] ports) => new("default", name, ports.ToList(), "10.96.0.10");

    private static ServicePort Port(string name, int port, string? appProtocol = null) => new(name, port, null, "TCP", appProtocol);

    private static MeshEndpointSlice Slice(string name, string service, IReadOnlyList<SlicePort> ports, params string[] ips) =>
        new("default", name, service, "IPv4", ports, ips.Select(ip => new SliceEndpoint([ip], true, true, false, null, null, null)).ToList());

    [Fact]
    public void AWorkloadServes_ThePortsOfEverySliceListingItsIp_WithTheProtocolTheServiceDeclares()
    {
        var index = new WorkloadIndex();
        var affected = index.Replace(
        [
            Service("reviews", Port("http", 9080)),
            Slice("reviews-1", "reviews", [new SlicePort("http", 9080, "TCP")], "10.0.0.1", "10.0.0.2"),
            Service("metrics", Port("scrape", 15020, appProtocol: "http"), Port("db", 3306)),
            Slice("metrics-1", "metrics", [new SlicePort("scrape", 15020, "TCP"), new SlicePort("db", 3306, "TCP")], "10.0.0.1"),
        ]);

        Assert.Equal(["10.0.0.1", "10.0.0.2"], affected.Order(StringComparer.Ordinal));
        Assert.Equal(
            [new WorkloadPort(3306, MeshProtocol.Unknown), new WorkloadPort(9080, MeshProtocol.Http), new WorkloadPort(15020, MeshProtocol.Http)],
            index.InputsOf("10.0.0.1").Ports);
        Assert.Equal([new WorkloadPort(9080, MeshProtocol.Http)], index.InputsOf("10.0.0.2").Ports);
        Assert.Empty(index.InputsOf("10.0.0.9").Ports);
    }

    [Fact]
    public void AChange_ReportsTheIpsItMayHaveChanged_AndOnlyThose()
    {
        var index = new WorkloadIndex();
        index.Replace(
        [
            Service("reviews", Port("http", 9080)),
            Slice("reviews-1", "reviews", [new SlicePort("http", 9080, "TCP")], "10.0.0.1", "10.0.0.2"),
            Service("ratings", Port("http", 9080)),
            Slice("ratings-1", "ratings", [new SlicePort("http", 9080, "TCP")], "10.0.0.3"),
        ]);

        // One endpoint moves from 10.0.0.2 to 10.0.0.4.
        var moved = index.Change([Slice("reviews-1", "reviews", [new SlicePort("http", 9080, "TCP")], "10.0.0.1", "10.0.0.4")], []);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.4"], moved.Order(StringComparer.Ordinal));
        Assert.Empty(index.InputsOf("10.0.0.2").Ports);

        // The Service declares its port's protocol otherwise: its endpoints' workloads change.
        var renamed = index.Change([Service("ratings", Port("http", 9080, appProtocol: "tcp"))], []);
        Assert.Equal(["10.0.0.3"], renamed);
        Assert.Equal([new WorkloadPort(9080, MeshProtocol.Tcp)], index.InputsOf("10.0.0.3").Ports);

        // Deleting the slice takes the workload's ports away.
        var deleted = index.Change([], [new MeshObjectKey("EndpointSlice", "default", "ratings-1")]);
        Assert.Equal(["10.0.0.3"], deleted);
        Assert.Equal(WorkloadInputs.None.Ports, index.InputsOf("10.0.0.3").Ports);
    }

    [Theory]
    [InlineData("http", null, "TCP", MeshProtocol.Http)]
    [InlineData("http-web", null, "TCP", MeshProtocol.Http)]
    [InlineData("HTTP2-x", null, "TCP", MeshProtocol.Http2)]
    [InlineData("grpc-web", null, "TCP", MeshProtocol.Grpc)]
    [InlineData("x", "grpc-web", "TCP", MeshProtocol.GrpcWeb)]
    [InlineData("tcp", "kubernetes.io/h2c", "TCP", MeshProtocol.Http2)]
    [InlineData("web", "kubernetes.io/ws", "TCP", MeshProtocol.Http)]
    [InlineData("mongo-db", null, "TCP", MeshProtocol.Mongo)]
    [InlineData("https", null, "TCP", MeshProtocol.Https)]
    [InlineData("", null, "TCP", MeshProtocol.Unknown)]
    [InlineData("metrics", null, "TCP", MeshProtocol.Unknown)]
    [InlineData("httpx", null, "TCP", MeshProtocol.Unknown)]
    [InlineData("http", null, "UDP", MeshProtocol.Udp)]
    [InlineData("web", "unknown-thing", "TCP", MeshProtocol.Unknown)]
    public void Protocols_AreInferredAsIstioDocumentsThem(string name, string? appProtocol, string transport, MeshProtocol expected) =>
        Assert.Equal(expected, MeshProtocols.Infer(name, appProtocol, transport));
}
