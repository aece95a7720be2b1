using System.Runtime.CompilerServices;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.EndToEnd;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>One serialisation per resource version per process, however many scope caches hold it.</summary>
public sealed class ResourceInternerTests
{
    private static XdsResource Assignment(string version) => new(TypeUrls.ClusterLoadAssignment, "outbound|9080||reviews", version, [8, 1, version[0] == 'a' ? (byte)1 : (byte)2]);

    private static ScopeSnapshot Snapshot(string scope, params XdsResource[] resources) => new(scope, Guid.NewGuid(), 1, resources);

    [Fact]
    public void TwoCachesHoldingOneVersion_ShareOneInstance_BuiltOnceInTheProcess()
    {
        var interner = new ResourceInterner();
        var sidecars = new ResourceCache(ScopeNames.Sidecar, interner);
        var gateways = new ResourceCache(ScopeNames.Router, interner);

        sidecars.Reset(Snapshot(ScopeNames.Sidecar, Assignment("a1")));
        gateways.Reset(Snapshot(ScopeNames.Router, Assignment("a1")));

        var held = sidecars.Current.Of(TypeUrls.ClusterLoadAssignment)["outbound|9080||reviews"];
        Assert.Same(held, gateways.Current.Of(TypeUrls.ClusterLoadAssignment)["outbound|9080||reviews"]);
        Assert.Same(held.Any, gateways.Current.Of(TypeUrls.ClusterLoadAssignment)["outbound|9080||reviews"].Any);
        Assert.Equal((1L, 1L), (interner.Built, interner.Shared));
        Assert.Equal((1L, 0L), (sidecars.AnyBuilt, gateways.AnyBuilt));
    }

    [Fact]
    public void AnotherVersion_IsItsOwnInstance_AndAnUpdateTakesTheSharedOne()
    {
        var interner = new ResourceInterner();
        var first = new ResourceCache(ScopeNames.Sidecar, interner);
        var second = new ResourceCache(ScopeNames.Router, interner);
        var snapshot = Snapshot(ScopeNames.Sidecar, Assignment("a1"));
        first.Reset(snapshot);
        second.Reset(Snapshot(ScopeNames.Router, Assignment("b2")));
        Assert.NotSame(first.Current.Of(TypeUrls.ClusterLoadAssignment).Values.Single(), second.Current.Of(TypeUrls.ClusterLoadAssignment).Values.Single());

        Assert.True(first.TryApply(new ScopeUpdate(ScopeNames.Sidecar, snapshot.Generation, 1, 2, [Assignment("b2")], [])));

        Assert.Same(second.Current.Of(TypeUrls.ClusterLoadAssignment).Values.Single(), first.Current.Of(TypeUrls.ClusterLoadAssignment).Values.Single());
        Assert.Equal(2L, interner.Built);
    }

    [Fact]
    public void AVersionNoCacheHoldsAnyMore_IsCollected_AndItsEntrySwept()
    {
        var interner = new ResourceInterner();
        FillAndDrop(interner);
        Assert.Equal(1, interner.Count);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        interner.Sweep();

        Assert.Equal(0, interner.Count);
    }

    [Fact]
    public async Task ASidecarAndAProxylessClient_OnOneFrontend_GetTheSameEndpointsInstance()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["echo.yaml"] = MeshYaml.Documents(MeshYaml.Service("echo", 7000), MeshYaml.Slice("echo-1", "echo", 17000, [("127.0.0.1", true)])),
        });
        await using var sidecar = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~a.default~default.svc.cluster.local", metadata: SidecarServingTests.SidecarMetadata("default"));
        await sidecar.SendAsync(TypeUrls.ClusterLoadAssignment, ["outbound|7000||echo.default.svc.cluster.local"]);
        await sidecar.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment);

        using var lease = server.Services.GetRequiredService<ScopeCaches>().Acquire(new ScopeKey(ScopeNames.Sidecar, null));
        await lease.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        var fromSidecars = lease.Cache.Current.Of(TypeUrls.ClusterLoadAssignment)["outbound|7000||echo.default.svc.cluster.local"];
        var fromDefault = server.Cache.Current.Of(TypeUrls.ClusterLoadAssignment)["outbound|7000||echo.default.svc.cluster.local"];

        Assert.Equal(fromDefault.Version, fromSidecars.Version);
        Assert.Same(fromDefault, fromSidecars);
        Assert.True(server.Services.GetRequiredService<ResourceInterner>().Shared > 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillAndDrop(ResourceInterner interner)
    {
        var cache = new ResourceCache(ScopeNames.Sidecar, interner);
        cache.Reset(Snapshot(ScopeNames.Sidecar, Assignment("a1")));
    }
}
