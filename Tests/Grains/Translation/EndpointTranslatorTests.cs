using Envoy.Config.Core.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains.Translation;

public sealed class EndpointTranslatorTests
{
    private static readonly ServicePort s_port = new("grpc", 7000, null, "TCP", null);

    [Fact]
    public void Build_LeavesOutEndpointsThatAreNotReady()
    {
        var assignment = EndpointTranslator.Build("c", s_port, [Slice("s", "echo", 17000, ("127.0.0.1", true, null), ("127.0.0.2", false, null))]);

        var endpoint = Assert.Single(Assert.Single(assignment.Endpoints).LbEndpoints);
        Assert.Equal("127.0.0.1", endpoint.Endpoint.Address.SocketAddress.Address);
        Assert.Equal(HealthStatus.Healthy, endpoint.HealthStatus);
    }

    [Fact]
    public void Build_EachEndpointTakesItsOwnSlicesPort()
    {
        var assignment = EndpointTranslator.Build("c", s_port,
        [
            Slice("old", "echo", 17000, ("127.0.0.1", true, null)),
            Slice("new", "echo", 17001, ("127.0.0.2", true, null)),
        ]);

        Assert.Equal(
            ["127.0.0.1:17000", "127.0.0.2:17001"],
            assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}"));
    }

    [Fact]
    public void Build_SliceWithoutThePortName_ContributesNothing()
    {
        var slice = new MeshEndpointSlice("default", "s", "echo", "IPv4", [new SlicePort("http", 80, "TCP")],
            [new SliceEndpoint(["127.0.0.1"], true, true, false, null, null, null)]);

        Assert.Empty(EndpointTranslator.Build("c", s_port, [slice]).Endpoints);
    }

    [Fact]
    public void Build_GroupsByLocality_WeightedByEndpointCount_AndSendsDuplicatesOnce()
    {
        var assignment = EndpointTranslator.Build("c", s_port,
        [
            Slice("a", "echo", 17000, ("127.0.0.1", true, "us-east1/us-east1-b"), ("127.0.0.2", true, "us-east1/us-east1-b"), ("127.0.0.3", true, "us-east1/us-east1-c")),
            Slice("b", "echo", 17000, ("127.0.0.1", true, "us-east1/us-east1-b")),
        ]);

        Assert.Equal(2, assignment.Endpoints.Count);
        var b = assignment.Endpoints.Single(l => l.Locality.Zone == "us-east1-b");
        Assert.Equal("us-east1", b.Locality.Region);
        Assert.Equal(2u, b.LoadBalancingWeight);
        Assert.Equal(2, b.LbEndpoints.Count);
        Assert.Equal(1u, assignment.Endpoints.Single(l => l.Locality.Zone == "us-east1-c").LoadBalancingWeight);
    }

    [Theory]
    [InlineData(null, "", "", "")]
    [InlineData("zone-a", "", "zone-a", "")]
    [InlineData("r/z", "r", "z", "")]
    [InlineData("r/z/s", "r", "z", "s")]
    public void ParseLocality_ReadsAPlainZoneOrIstiosTriple(string? zone, string region, string parsedZone, string subZone)
    {
        Assert.Equal((region, parsedZone, subZone), EndpointTranslator.ParseLocality(zone));
    }

    [Fact]
    public void Build_SliceFromAMemberCluster_EndpointsCarryItsClusterAndNetworkAsIstioWritesThem()
    {
        var slice = Slice("s", "echo", 17000, ("127.0.0.1", true, "r1/z1")) with { MemberClusterId = "east", Network = "net-1" };
        slice = slice with { Endpoints = [slice.Endpoints[0] with { TargetRef = "Pod/default/echo-7d4f" }] };

        var endpoint = EndpointTranslator.Build("outbound|7000||echo.default.svc.cluster.local", new ServicePort("grpc", 7000, null, "TCP", null), [slice])
            .Endpoints.Single().LbEndpoints.Single();

        var istio = endpoint.Metadata.FilterMetadata["istio"].Fields;
        Assert.Equal("echo-7d4f;default;echo;latest;east", istio["workload"].StringValue);
        Assert.Equal("net-1", istio["network"].StringValue);
    }

    [Fact]
    public void Build_EndpointOfALabelledPod_NamesItsCanonicalServiceAndRevision_AsIstioReadsTheLabels()
    {
        var slice = Slice("s", "echo", 17000, ("127.0.0.1", true, null), ("127.0.0.2", true, null)) with { MemberClusterId = "east" };
        slice = slice with
        {
            Endpoints =
            [
                slice.Endpoints[0] with { TargetRef = "Pod/default/echo-v1-a", Labels = new Dictionary<string, string> { ["app"] = "echo-app", ["version"] = "v1" } },
                slice.Endpoints[1] with
                {
                    TargetRef = "Pod/default/echo-v2-b",
                    Labels = new Dictionary<string, string> { ["app"] = "echo-app", ["version"] = "v2", ["service.istio.io/canonical-name"] = "echo-canonical", ["app.kubernetes.io/version"] = "2.0" },
                },
            ],
        };

        var workloads = EndpointTranslator.Build("outbound|7000||echo.default.svc.cluster.local", new ServicePort("grpc", 7000, null, "TCP", null), [slice])
            .Endpoints.Single().LbEndpoints.Select(e => e.Metadata.FilterMetadata["istio"].Fields["workload"].StringValue);

        Assert.Equal(["echo-v1-a;default;echo-app;v1;east", "echo-v2-b;default;echo-canonical;2.0;east"], workloads);
    }
}
