using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// Node ids and metadata read as istiod reads them (pilot/pkg/model/context.go,
/// ParseServiceNodeWithMetadata and GetProxyConfigNamespace), with the node ids Istio's own
/// sidecars and gateways send.
/// </summary>
public sealed class ProxyIdentitiesTests
{
    [Fact]
    public void SidecarOfABookinfoPod_IsItsPodInItsNamespace()
    {
        var metadata = Metadata(("NAMESPACE", "default"), ("CLUSTER_ID", "Kubernetes"), ("INSTANCE_IPS", "10.244.1.156"));
        metadata.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["app"] = Value.ForString("productpage"), ["version"] = Value.ForString("v1") } });

        var (identity, error) = ProxyIdentities.Parse("sidecar~10.244.1.156~productpage-v1-697f57cdfd-gm7g5.default~default.svc.cluster.local", metadata);

        Assert.Null(error);
        Assert.Equal(ProxyKind.Sidecar, identity!.Kind);
        Assert.Equal(["10.244.1.156"], identity.IpAddresses);
        Assert.Equal("productpage-v1-697f57cdfd-gm7g5.default", identity.WorkloadId);
        Assert.Equal(("default", "default.svc.cluster.local", "Kubernetes"), (identity.Namespace, identity.DnsDomain, identity.MemberClusterId));
        Assert.Equal("v1", identity.Labels["version"]);
    }

    [Fact]
    public void Gateway_IsARouter_AndItsNamespaceComesFromTheDomainWhenMetadataHasNone()
    {
        var (identity, error) = ProxyIdentities.Parse("router~10.244.0.7~istio-ingressgateway-5d8c.istio-system~istio-system.svc.cluster.local", null);

        Assert.Null(error);
        Assert.Equal((ProxyKind.Router, "istio-system"), (identity!.Kind, identity.Namespace));
        Assert.Empty(identity.Labels);
    }

    [Fact]
    public void InstanceIps_OverrideTheIdsAddress_OnlyWhenEveryOneIsAnAddress()
    {
        var both = ProxyIdentities.Parse("sidecar~10.0.0.1~p.ns~ns.svc.cluster.local", Metadata(("INSTANCE_IPS", "10.0.0.2,fd00::2"))).Identity!;
        var oneBad = ProxyIdentities.Parse("sidecar~10.0.0.1~p.ns~ns.svc.cluster.local", Metadata(("INSTANCE_IPS", "10.0.0.2,not-an-ip"))).Identity!;
        var idHasNone = ProxyIdentities.Parse("sidecar~~p.ns~ns.svc.cluster.local", Metadata(("INSTANCE_IPS", "10.0.0.3"))).Identity!;

        Assert.Equal(["10.0.0.2", "fd00::2"], both.IpAddresses);
        Assert.Equal(["10.0.0.1"], oneBad.IpAddresses);
        Assert.Equal(["10.0.0.3"], idHasNone.IpAddresses);
    }

    [Fact]
    public void SidecarWithTheGrpcGenerator_IsProxyless_AndAnyOtherIdIsAPlainXdsClient()
    {
        var grpc = ProxyIdentities.Parse("sidecar~10.0.0.1~echo-client.ns~ns.svc.cluster.local", Metadata(("GENERATOR", "grpc"))).Identity!;
        var plain = ProxyIdentities.Parse("my-grpc-client", null).Identity!;
        var looksLike = ProxyIdentities.Parse("sidecarish~1~2~3", null).Identity!;

        Assert.Equal((ProxyKind.Proxyless, "ns"), (grpc.Kind, grpc.Namespace));
        Assert.Same(ProxyIdentity.Proxyless, plain);
        Assert.Same(ProxyIdentity.Proxyless, looksLike);
    }

    [Theory]
    [InlineData("sidecar~10.0.0.1~p.ns", "has 3 parts")]
    [InlineData("router~10.0.0.1~p.ns~ns.svc.cluster.local~extra", "has 5 parts")]
    [InlineData("sidecar~not-an-ip~p.ns~ns.svc.cluster.local", "'not-an-ip' is not an IP address")]
    [InlineData("sidecar~127.1~p.ns~ns.svc.cluster.local", "'127.1' is not an IP address")]
    [InlineData("sidecar~fe80::1%eth0~p.ns~ns.svc.cluster.local", "is not an IP address")]
    [InlineData("sidecar~~p.ns~ns.svc.cluster.local", "'' is not an IP address")]
    public void IstioLikeIdThatCannotSayWhichWorkloadItIs_IsRefusedWithTheReason(string nodeId, string reason)
    {
        var (identity, error) = ProxyIdentities.Parse(nodeId, null);

        Assert.Null(identity);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileLabels_AreRefusedWithTheReason()
    {
        var notAMap = Metadata();
        notAMap.Fields["LABELS"] = Value.ForString("app=x");
        var notStrings = Metadata();
        notStrings.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["app"] = Value.ForNumber(1) } });
        var tooMany = Metadata();
        var many = new Struct();
        for (var i = 0; i <= ProxyIdentities.MaxLabels; i++)
        {
            many.Fields["l" + i] = Value.ForString("v");
        }

        tooMany.Fields["LABELS"] = Value.ForStruct(many);
        var tooLong = Metadata();
        tooLong.Fields["LABELS"] = Value.ForStruct(new Struct { Fields = { ["app"] = Value.ForString(new string('x', 5000)) } });
        const string id = "sidecar~10.0.0.1~p.ns~ns.svc.cluster.local";

        Assert.Contains("must be a map", ProxyIdentities.Parse(id, notAMap).Error, StringComparison.Ordinal);
        Assert.Contains("LABELS[app] must be a string", ProxyIdentities.Parse(id, notStrings).Error, StringComparison.Ordinal);
        Assert.Contains($"at most {ProxyIdentities.MaxLabels}", ProxyIdentities.Parse(id, tooMany).Error, StringComparison.Ordinal);
        Assert.Contains("longer than", ProxyIdentities.Parse(id, tooLong).Error, StringComparison.Ordinal);
    }

    private static Struct Metadata(params (string Key, string Value)[] fields)
    {
        var metadata = new Struct();
        foreach (var (key, value) in fields)
        {
            metadata.Fields[key] = Value.ForString(value);
        }

        return metadata;
    }
}
