using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Tests.EndToEnd;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// A stream whose proxy comes to see another part of the mesh moves to that scope's cache on
/// its open stream and is sent the difference: SotW the new sets (clusters kept until the new
/// listeners are out), Delta only the resources whose bytes differ, then the removals.
/// </summary>
public sealed class ScopeMoveTests
{
    private const string Node = "sidecar~127.0.0.1~echo-1.default~default.svc.cluster.local";
    private const string Echo = "outbound|7000||echo.default.svc.cluster.local";

    private static readonly ScopeKey s_sidecar = new(ScopeNames.SidecarScope("Kubernetes", "default"), ScopeNames.Workload(ProxyKind.Sidecar, "Kubernetes", "127.0.0.1"));

    private static Dictionary<string, string> Mesh() => new() { ["echo.yaml"] = MeshYaml.Service("echo", 7000) };

    [Fact]
    public async Task ASotwStream_MovedToTheProxylessScope_GetsItsListenersAndClustersWhole_ThenMovedBack_GetsTheSidecarsAgain()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var client = AdsTestClient.Connect(server.XdsPort, Node, metadata: SidecarServingTests.SidecarMetadata("default"));
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        await client.AckAsync(clusters);
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveTypeAsync(TypeUrls.Listener);
        await client.AckAsync(listeners);
        Assert.Contains(SidecarTranslatorNames.PassthroughCluster, Names<Cluster>(clusters));
        Assert.Contains(SidecarTranslatorNames.VirtualOutbound, Names<Listener>(listeners));
        Assert.EndsWith(s_sidecar.Name, Assert.Single(server.Streams.Streams).Scope, StringComparison.Ordinal);

        Assert.Equal(1, server.Streams.Move(Node, ScopeKey.Default));

        // Make before break: the clusters the new listeners need (here none the proxy lacks, so
        // no CDS response first), then the listeners, and only then the clusters alone.
        var moved = await client.ReceiveAsync();
        Assert.Equal(TypeUrls.Listener, moved.TypeUrl);
        Assert.Equal(["echo.default.svc.cluster.local:7000"], Names<Listener>(moved));
        await client.AckAsync(moved);
        var after = await client.ReceiveAsync();
        Assert.Equal(TypeUrls.Cluster, after.TypeUrl);
        Assert.Equal([Echo], Names<Cluster>(after));
        await client.AckAsync(after);
        Assert.Equal(ScopeNames.Default, Assert.Single(server.Streams.Streams).Scope);

        Assert.Equal(1, server.Streams.Move(Node, s_sidecar));

        // Back: the sidecar's clusters first (a set the proxy lacks), then its listeners.
        var back = await client.ReceiveAsync();
        Assert.Equal(TypeUrls.Cluster, back.TypeUrl);
        Assert.Contains(SidecarTranslatorNames.PassthroughCluster, Names<Cluster>(back));
        await client.AckAsync(back);
        var listenersBack = await client.ReceiveAsync();
        Assert.Equal(TypeUrls.Listener, listenersBack.TypeUrl);
        Assert.Contains(SidecarTranslatorNames.VirtualOutbound, Names<Listener>(listenersBack));
    }

    [Fact]
    public async Task ADeltaStream_MovedToTheProxylessScope_GetsOnlyWhatDiffers_AndTheRemovals()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var client = DeltaTestClient.Connect(server.XdsPort, Node, metadata: SidecarServingTests.SidecarMetadata("default"));
        await client.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
        var clusters = await client.ReceiveAsync();
        await client.AckAsync(clusters);
        Assert.Contains(Echo, clusters.Resources.Select(r => r.Name));
        Assert.Contains(SidecarTranslatorNames.PassthroughCluster, clusters.Resources.Select(r => r.Name));

        Assert.Equal(1, server.Streams.Move(Node, ScopeKey.Default));

        // The echo cluster has the same bytes in both scopes, so it is not sent again.
        var diff = await client.ReceiveAsync();
        Assert.Equal(TypeUrls.Cluster, diff.TypeUrl);
        Assert.Empty(diff.Resources);
        Assert.Equal(
            ["BlackHoleCluster", "InboundPassthroughCluster", SidecarTranslatorNames.PassthroughCluster],
            diff.RemovedResources.Order(StringComparer.Ordinal));
        await client.AckAsync(diff);

        // The stream let the sidecar scope's cache go (it lingers, leased by nobody, for a proxy that comes back).
        var caches = server.Services.GetRequiredService<ScopeCaches>().InUse();
        Assert.Equal(0, caches.Single(c => c.Scope == s_sidecar.Name).Leases);

        // A move to the scope it is in already changes nothing and sends nothing.
        Assert.Equal(1, server.Streams.Move(Node, ScopeKey.Default));
        await Assert.ThrowsAnyAsync<Exception>(() => client.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(ScopeNames.Default, Assert.Single(server.Streams.Streams).Scope);
    }

    [Fact]
    public async Task DebugScopez_ListsEachScopeInUse_WithItsLayers_Hostnames_ProxiesAndStreams_AndFollowsAMove()
    {
        await using var server = await MeshServer.StartAsync(Mesh());
        await using var client = AdsTestClient.Connect(server.XdsPort, Node, metadata: SidecarServingTests.SidecarMetadata("default"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.ReceiveTypeAsync(TypeUrls.Cluster);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };

        async Task<Dictionary<string, System.Text.Json.JsonElement>> ScopezAsync() =>
            (await System.Text.Json.JsonSerializer.DeserializeAsync<List<System.Text.Json.JsonElement>>(await http.GetStreamAsync(new Uri("/debug/scopez", UriKind.Relative))))!
                .ToDictionary(e => e.GetProperty("scope").GetString()!);

        var scopes = await ScopezAsync();
        var layered = scopes[s_sidecar.Name];
        Assert.Equal([s_sidecar.Base, s_sidecar.Overlay!], layered.GetProperty("layers").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal((1, 1), (layered.GetProperty("proxies").GetInt32(), layered.GetProperty("streams").GetInt32()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, layered.GetProperty("hostnames").ValueKind);
        Assert.Equal(1, scopes[s_sidecar.Base].GetProperty("hostnames").GetInt32());
        Assert.Equal(0, scopes[ScopeNames.Default].GetProperty("proxies").GetInt32());

        server.Streams.Move(Node, ScopeKey.Default);
        await client.ReceiveTypeAsync(TypeUrls.Cluster);

        scopes = await ScopezAsync();
        Assert.Equal(1, scopes[ScopeNames.Default].GetProperty("proxies").GetInt32());
        Assert.Equal(0, scopes[s_sidecar.Name].GetProperty("proxies").GetInt32());
    }

    [Fact]
    public async Task AMoveForANodeWithNoOpenStream_MovesNothing()
    {
        await using var server = await MeshServer.StartAsync(Mesh());

        Assert.Equal(0, server.Streams.Move("sidecar~127.0.0.9~nobody.default~default.svc.cluster.local", ScopeKey.Default));
    }

    private static List<string> Names<T>(DiscoveryResponse response)
        where T : Google.Protobuf.IMessage<T>, new() =>
        AdsTestClient.Unpack<T>(response).Select(m => m switch
        {
            Cluster c => c.Name,
            Listener l => l.Name,
            _ => throw new InvalidOperationException(),
        }).Order(StringComparer.Ordinal).ToList();

    private static class SidecarTranslatorNames
    {
        public const string PassthroughCluster = SidecarTranslator.PassthroughCluster;
        public const string VirtualOutbound = SidecarTranslator.VirtualOutbound;
    }
}
