using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// The grains on a real silo: a cluster's declaration flows through ServiceGrains into the
/// scope, and only what changed is pushed. Each test uses its own cluster id and scope-free
/// hostnames so the shared silo's state does not leak between tests.
/// </summary>
public sealed class MeshGrainsTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task ClusterApply_PublishesEachHostnamesResourcesToTheScope()
    {
        var ns = "t1";
        await Grains.GetGrain<IClusterGrain>("c-" + ns).ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));

        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);

        var host = $"echo.{ns}.svc.cluster.local";
        Assert.Contains(snapshot.Resources, r => r.TypeUrl == TypeUrls.Cluster && r.Name == $"outbound|7000||{host}");
        Assert.Contains(snapshot.Resources, r => r.TypeUrl == TypeUrls.Listener && r.Name == $"{host}:7000");
        Assert.Equal([host], await Grains.GetGrain<IClusterGrain>("c-" + ns).GetHostnamesAsync());
    }

    [Fact]
    public async Task EndpointChange_NotifiesTheScopeObserverWithOnlyTheChangedAssignment()
    {
        var ns = "t2";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        await cluster.ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));
        var updates = new BlockingCollection<ScopeUpdate>();
        var observer = new Observer(updates);
        var reference = fixture.Cluster.Client.CreateObjectReference<IScopeObserver>(observer);
        var scope = ShardOf(ScopeNames.Default, $"echo.{ns}.svc.cluster.local");
        var before = await scope.SubscribeAsync(reference, includeResources: false);

        await cluster.ApplyAsync(Config(ns, endpoints: ["127.0.0.1", "127.0.0.2"]));

        Assert.True(updates.TryTake(out var update, TimeSpan.FromSeconds(10)), "no scope update arrived");
        Assert.Equal(before.Epoch, update.FromEpoch);
        Assert.Equal(before.Generation, update.Generation);
        var changed = Assert.Single(update.Upserted);
        Assert.Equal((TypeUrls.ClusterLoadAssignment, $"outbound|7000||echo.{ns}.svc.cluster.local"), (changed.TypeUrl, changed.Name));
        Assert.Empty(update.Removed);
        await scope.UnsubscribeAsync(reference);
        GC.KeepAlive(observer);
    }

    [Fact]
    public async Task UnchangedDeclaration_TouchesNoServiceGrain()
    {
        var ns = "t3";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        await cluster.ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));
        var revision = (await Grains.GetGrain<IServiceGrain>($"echo.{ns}.svc.cluster.local").GetResourcesAsync()).Revision;

        await cluster.ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));

        Assert.Equal(revision, (await Grains.GetGrain<IServiceGrain>($"echo.{ns}.svc.cluster.local").GetResourcesAsync()).Revision);
    }

    [Fact]
    public async Task DestinationServiceChangingItsPort_UpdatesTheRoutesThatInferredIt()
    {
        var ns = "t10";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        var front = Service("front", 80) with { Namespace = ns };
        var virtualService = new VirtualServiceSpec(ns, "front", [$"front.{ns}.svc.cluster.local"],
            [new HttpRouteSpec(null, [], [new RouteDestinationSpec($"back.{ns}.svc.cluster.local", null, 100)], null)]);
        await cluster.ApplyAsync(new ClusterConfig([front, Service("back", 90) with { Namespace = ns }], [], [virtualService], []));

        await cluster.ApplyAsync(new ClusterConfig([front, Service("back", 91) with { Namespace = ns }], [], [virtualService], []));

        var resources = await Grains.GetGrain<IServiceGrain>($"front.{ns}.svc.cluster.local").GetResourcesAsync();
        var routes = Envoy.Config.Route.V3.RouteConfiguration.Parser.ParseFrom(resources.Resources.Single(r => r.TypeUrl == TypeUrls.RouteConfiguration).Payload);
        Assert.Equal($"outbound|91||back.{ns}.svc.cluster.local", routes.VirtualHosts[0].Routes.Single().Route_.Cluster);
    }

    [Fact]
    public async Task ServiceRemovedFromTheDeclaration_IsRemovedFromTheScope()
    {
        var ns = "t4";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        await cluster.ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));

        await cluster.ApplyAsync(ClusterConfig.Empty);

        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);
        Assert.DoesNotContain(snapshot.Resources, r => r.Name.Contains($".{ns}.svc", StringComparison.Ordinal));
        Assert.Empty(await cluster.GetHostnamesAsync());
    }

    [Fact]
    public async Task TwoClusters_ContributeEndpointsToOneServiceGrain()
    {
        var ns = "t5";
        await Grains.GetGrain<IClusterGrain>("east-" + ns).ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));
        await Grains.GetGrain<IClusterGrain>("west-" + ns).ApplyAsync(Config(ns, endpoints: ["127.0.0.2"], sliceName: "west"));

        var resources = await Grains.GetGrain<IServiceGrain>($"echo.{ns}.svc.cluster.local").GetResourcesAsync();

        var assignment = Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(resources.Resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment).Payload);
        Assert.Equal(["127.0.0.1", "127.0.0.2"], assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Scope_IgnoresAnOlderRevisionOfAHostname()
    {
        var scope = ShardOf(ScopeNames.Default, "race.t6.svc.cluster.local");
        var newer = new ServiceResources("race.t6.svc.cluster.local", 5, [new XdsResource(TypeUrls.Cluster, "race-t6", "v5", [5])]);
        var older = new ServiceResources("race.t6.svc.cluster.local", 4, [new XdsResource(TypeUrls.Cluster, "race-t6", "v4", [4])]);

        await scope.ApplyAsync([newer]);
        await scope.ApplyAsync([older]);

        var snapshot = await scope.GetSnapshotAsync();
        Assert.Equal("v5", snapshot.Resources.Single(r => r.Name == "race-t6").Version);
    }

    [Fact]
    public async Task ScopeReactivated_RebuildsItsResourcesFromTheServiceGrains_AsANewGeneration()
    {
        var ns = "t9";
        await Grains.GetGrain<IClusterGrain>("c-" + ns).ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));
        var scope = ShardOf(ScopeNames.Default, $"echo.{ns}.svc.cluster.local");
        var before = await scope.GetSnapshotAsync();

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var after = await scope.GetSnapshotAsync();

        Assert.NotEqual(before.Generation, after.Generation);
        Assert.Equal(
            before.Resources.Where(r => r.Name.Contains($".{ns}.", StringComparison.Ordinal)).Select(r => (r.Name, r.Version)).Order(),
            after.Resources.Where(r => r.Name.Contains($".{ns}.", StringComparison.Ordinal)).Select(r => (r.Name, r.Version)).Order());
    }

    [Fact]
    public async Task Rejections_AreKeptPerCluster()
    {
        var rejected = new RejectedObject("bad.yaml", "Service", "t7", "broken", "spec.ports", "is required", false);
        var cluster = Grains.GetGrain<IClusterGrain>("c-t7");

        await cluster.ApplyAsync(ClusterConfig.Empty with { Rejected = [rejected] });

        Assert.Equal([rejected], await cluster.GetRejectedAsync());
    }

    [Fact]
    public async Task ProxyGrain_TracksStreamsAndPerTypeSyncState()
    {
        var proxy = Grains.GetGrain<IProxyGrain>("sidecar~127.0.0.1~p.t8~t8.svc.cluster.local");
        var at = DateTimeOffset.UnixEpoch;

        await proxy.ConnectedAsync("s1", new ProxyNode("sidecar~127.0.0.1~p.t8~t8.svc.cluster.local", "c", "ua", "r/z/s"));
        await proxy.ConnectedAsync("s2", new ProxyNode("sidecar~127.0.0.1~p.t8~t8.svc.cluster.local", "c", "ua", "r/z/s"));
        await proxy.DisconnectedAsync("s2");
        await proxy.RecordAsync(
        [
            new ProxyEvent("s1", TypeUrls.Cluster, ProxyEventKind.Subscribed, string.Empty, string.Empty, null, at, ["*"]),
            new ProxyEvent("s1", TypeUrls.Cluster, ProxyEventKind.Sent, "v1", "1", null, at),
            new ProxyEvent("s1", TypeUrls.Cluster, ProxyEventKind.Acked, "v1", "1", null, at),
            new ProxyEvent("s1", TypeUrls.Cluster, ProxyEventKind.Sent, "v2", "2", null, at),
            new ProxyEvent("s1", TypeUrls.Cluster, ProxyEventKind.Nacked, "v2", "2", "bad cluster", at),
        ]);

        // The reports are one-way, so wait for them to be processed.
        await Eventually.TrueAsync(async () =>
        {
            var s = await proxy.GetStatusAsync();
            return s.OpenStreams == 1 && s.Types.SingleOrDefault()?.NackError is not null && s.Types.Single().Subscription is not null;
        }, TimeSpan.FromSeconds(5), "the one-way reports are processed");
        var status = await proxy.GetStatusAsync();
        var type = Assert.Single(status.Types);
        Assert.Equal(("v2", "v1", "v2", "bad cluster"), (type.SentVersion, type.AckedVersion, type.NackedVersion, type.NackError));
        Assert.Equal(["*"], type.Subscription);
    }

    [Fact]
    public async Task Changes_OutOfSequence_AreRefused_AndAFullMessageAfterAReactivationRestoresTheCluster()
    {
        var ns = "t12";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        var epoch = Guid.NewGuid();
        var config = Config(ns, endpoints: ["127.0.0.1"]);
        Assert.True(await cluster.ApplyChangesAsync(ClusterChanges.FullOf(config, epoch, 1)));
        var moved = config.EndpointSlices[0] with { Endpoints = [new SliceEndpoint(["127.0.0.9"], true, true, false, null, null, null)] };

        Assert.False(await cluster.ApplyChangesAsync(Change(epoch, 3, slices: [moved])));
        Assert.False(await cluster.ApplyChangesAsync(Change(Guid.NewGuid(), 2, slices: [moved])));
        Assert.True(await cluster.ApplyChangesAsync(Change(epoch, 2, slices: [moved])));
        Assert.Contains("127.0.0.9", await EndpointsAsync(ns));

        // A reactivated ClusterGrain holds no objects: it refuses the next change, takes everything, and serves on.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.False(await cluster.ApplyChangesAsync(Change(epoch, 3, deleted: [MeshObjectKey.Of(moved)])));
        Assert.True(await cluster.ApplyChangesAsync(ClusterChanges.FullOf(config with { EndpointSlices = [moved] }, epoch, 4)));
        Assert.Contains("127.0.0.9", await EndpointsAsync(ns));
        Assert.Equal([$"echo.{ns}.svc.cluster.local"], await cluster.GetHostnamesAsync());

        Assert.True(await cluster.ApplyChangesAsync(Change(epoch, 5, deleted: [MeshObjectKey.Of(config.Services[0]), MeshObjectKey.Of(moved)])));
        Assert.Empty(await cluster.GetHostnamesAsync());
        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);
        Assert.DoesNotContain(snapshot.Resources, r => r.Name.Contains($".{ns}.", StringComparison.Ordinal));

        static ClusterChanges Change(Guid epoch, long sequence, IReadOnlyList<MeshEndpointSlice>? slices = null, IReadOnlyList<MeshObjectKey>? deleted = null) =>
            new(epoch, sequence, Full: false, [], slices ?? [], [], deleted ?? [], Rejected: null, [], []);
    }

    [Fact]
    public async Task PodLabelChange_MovesItsEndpointBetweenSubsets_AndTouchesOnlyItsHost()
    {
        var ns = "t13";
        var cluster = Grains.GetGrain<IClusterGrain>("c-" + ns);
        var epoch = Guid.NewGuid();
        var host = $"echo.{ns}.svc.cluster.local";
        var config = Config(ns, endpoints: ["127.0.0.1", "127.0.0.2"]);
        var slice = config.EndpointSlices[0];
        slice = slice with { Endpoints = [slice.Endpoints[0] with { TargetRef = $"Pod/{ns}/echo-a" }, slice.Endpoints[1] with { TargetRef = $"Pod/{ns}/echo-b" }] };
        var rule = new DestinationRuleSpec(ns, "echo", host,
            [new SubsetSpec("v1", new Dictionary<string, string> { ["version"] = "v1" }, null), new SubsetSpec("v2", new Dictionary<string, string> { ["version"] = "v2" }, null)],
            null, [], null);
        var other = Config(ns, endpoints: ["127.0.0.9"]).Services[0] with { Name = "other" };
        config = config with
        {
            Services = [.. config.Services, other],
            EndpointSlices = [slice],
            DestinationRules = [rule],
            Pods = [Pod(ns, "echo-a", "v1"), Pod(ns, "echo-b", "v2")],
        };
        Assert.True(await cluster.ApplyChangesAsync(ClusterChanges.FullOf(config, epoch, 1)));
        Assert.Equal(["127.0.0.1"], await AddressesAsync($"outbound|7000|v1|{host}"));
        Assert.Equal(["127.0.0.2"], await AddressesAsync($"outbound|7000|v2|{host}"));
        var otherRevision = (await Grains.GetGrain<IServiceGrain>($"other.{ns}.svc.cluster.local").GetResourcesAsync()).Revision;

        var relabelled = new ClusterChanges(epoch, 2, Full: false, [], [], [], [], Rejected: null, [], [Pod(ns, "echo-b", "v1")]);
        Assert.True(await cluster.ApplyChangesAsync(relabelled));

        Assert.Equal(["127.0.0.1", "127.0.0.2"], await AddressesAsync($"outbound|7000|v1|{host}"));
        Assert.Empty(await AddressesAsync($"outbound|7000|v2|{host}"));
        Assert.Equal(["127.0.0.1", "127.0.0.2"], await AddressesAsync($"outbound|7000||{host}"));
        Assert.Equal(otherRevision, (await Grains.GetGrain<IServiceGrain>($"other.{ns}.svc.cluster.local").GetResourcesAsync()).Revision);

        // The rule gone, its subset clusters go with it.
        Assert.True(await cluster.ApplyChangesAsync(new ClusterChanges(epoch, 3, Full: false, [], [], [], [MeshObjectKey.Of(rule)], Rejected: null, [], [])));
        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);
        Assert.DoesNotContain(snapshot.Resources, r => r.Name == $"outbound|7000|v1|{host}");
        Assert.Contains(snapshot.Resources, r => r.Name == $"outbound|7000||{host}");

        static MeshPod Pod(string ns, string name, string version) => new(ns, name, new Dictionary<string, string> { ["app"] = "echo", ["version"] = version });
    }

    [Fact]
    public async Task WholeMeshScopes_AreHeldByShards_NoneHoldingEveryHostname_AndTheirUnionIsTheMesh()
    {
        var ns = "t14";
        var services = Enumerable.Range(0, 40).Select(i => Service($"s{i}", 7000) with { Namespace = ns }).ToList();
        await Grains.GetGrain<IClusterGrain>("c-" + ns).ApplyAsync(new ClusterConfig(services, [], [], []));
        var hosts = services.Select(s => $"{s.Name}.{ns}.svc.cluster.local").ToHashSet();

        foreach (var scope in new[] { ScopeNames.Default, ScopeNames.Sidecar, ScopeNames.Router })
        {
            var held = new HashSet<string>();
            foreach (var shard in Enumerable.Range(0, ScopeNames.WholeMeshShards))
            {
                var snapshot = await Grains.GetGrain<IScopeGrain>(ScopeNames.Shard(scope, shard)).GetSnapshotAsync();
                Assert.True(snapshot.Loaded, $"{scope} shard {shard} is loaded, even without a hostname");
                var mine = hosts.Where(h => snapshot.Resources.Any(r => r.TypeUrl == TypeUrls.Cluster && r.Name == $"outbound|7000||{h}")).ToList();
                Assert.All(mine, h => Assert.Equal(shard, ScopeNames.ShardOf(h)));
                held.UnionWith(mine);
                if (scope == ScopeNames.Sidecar)
                {
                    Assert.All(snapshot.Resources, r => Assert.Contains(r.TypeUrl, new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment }));
                }
            }

            Assert.Equal(hosts.Order(), held.Order());
            Assert.True(hosts.Select(ScopeNames.ShardOf).Distinct().Count() > 1, "the hostnames fall in several shards");
        }

        // The sidecar listeners grain holds the per-port listener and routes, never a hostname's endpoints.
        var listeners = await Grains.GetGrain<IScopeGrain>(ScopeNames.SidecarListeners).GetSnapshotAsync();
        Assert.Contains(listeners.Resources, r => r.TypeUrl == TypeUrls.RouteConfiguration && r.Name == "7000");
        Assert.Contains(listeners.Resources, r => r.TypeUrl == TypeUrls.Listener && r.Name == "0.0.0.0_7000");
        Assert.DoesNotContain(listeners.Resources, r => r.TypeUrl == TypeUrls.ClusterLoadAssignment);
        Assert.DoesNotContain(listeners.Resources, r => r.TypeUrl == TypeUrls.Cluster && r.Name.Contains(ns, StringComparison.Ordinal));
        var services14 = await Grains.GetGrain<IScopeGrain>(ScopeNames.SidecarListeners).GetServicesAsync();
        Assert.All(services14.Services.SelectMany(s => s.Resources), r => Assert.NotEqual(TypeUrls.ClusterLoadAssignment, r.TypeUrl));
    }

    [Fact]
    public async Task AScopeReactivated_TellsTheFrontendsSubscribedToItsLastActivation_AtOnce()
    {
        var ns = "t16";
        var host = $"echo.{ns}.svc.cluster.local";
        await Grains.GetGrain<IClusterGrain>("c-" + ns).ApplyAsync(Config(ns, endpoints: ["127.0.0.1"]));
        var updates = new BlockingCollection<ScopeUpdate>();
        var observer = new Observer(updates);
        var reference = fixture.Cluster.Client.CreateObjectReference<IScopeObserver>(observer);
        var scope = ShardOf(ScopeNames.Default, host);
        var before = await scope.SubscribeAsync(reference, includeResources: false);

        // Its silo gone or the grain collected: the next activation tells the frontend, which need not wait for its renewal.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await scope.GetHostnameCountAsync();

        Assert.True(updates.TryTake(out var told, TimeSpan.FromSeconds(10)), "the new activation told the subscribed frontend");
        Assert.NotEqual(before.Generation, told.Generation);
        Assert.Equal(-1, told.FromEpoch);
        await scope.UnsubscribeAsync(reference);
        GC.KeepAlive(observer);
    }

    [Fact]
    public async Task AShardWithoutHostnames_StaysLoadedWhenReactivated()
    {
        await Grains.GetGrain<IClusterGrain>("c-t15").ApplyAsync(Config("t15", endpoints: ["127.0.0.1"]));
        var empty = Enumerable.Range(0, ScopeNames.WholeMeshShards).Select(i => Grains.GetGrain<IScopeGrain>(ScopeNames.Shard(ScopeNames.Router, i)));
        Assert.All(await Task.WhenAll(empty.Select(s => s.GetSnapshotAsync())), s => Assert.True(s.Loaded));

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.All(await Task.WhenAll(empty.Select(s => s.GetSnapshotAsync())), s => Assert.True(s.Loaded));
    }

    /// <summary>The shard grain of the whole-mesh <paramref name="scope"/> that holds <paramref name="host"/>.</summary>
    private IScopeGrain ShardOf(string scope, string host) => Grains.GetGrain<IScopeGrain>(ScopeNames.Shard(scope, ScopeNames.ShardOf(host)));

    /// <summary>The union of a whole-mesh scope's grains' snapshots, as a frontend serves it.</summary>
    private async Task<ScopeSnapshot> WholeMeshSnapshotAsync(string scope)
    {
        var parts = await Task.WhenAll(ScopeNames.GrainsOf(scope).Select(g => Grains.GetGrain<IScopeGrain>(g).GetSnapshotAsync()));
        return new ScopeSnapshot(scope, Guid.Empty, 0, parts.SelectMany(p => p.Resources).ToList(), parts.All(p => p.Loaded));
    }

    private async Task<List<string>> AddressesAsync(string clusterName)
    {
        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);
        var assignment = snapshot.Resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Name == clusterName);
        return Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(assignment.Payload)
            .Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<string> EndpointsAsync(string ns)
    {
        var snapshot = await WholeMeshSnapshotAsync(ScopeNames.Default);
        var assignment = snapshot.Resources.Single(r => r.TypeUrl == TypeUrls.ClusterLoadAssignment && r.Name == $"outbound|7000||echo.{ns}.svc.cluster.local");
        return Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Parser.ParseFrom(assignment.Payload).ToString();
    }

    private static ClusterConfig Config(string ns, IReadOnlyList<string> endpoints, string sliceName = "echo-1")
    {
        var service = Service("echo", 7000) with { Namespace = ns };
        var slice = Slice(sliceName, "echo", 17000, endpoints.Select(e => (e, true, (string?)null)).ToArray()) with { Namespace = ns };
        return new ClusterConfig([service], [slice], [], []);
    }

    private sealed class Observer(BlockingCollection<ScopeUpdate> updates) : IScopeObserver
    {
        public Task OnUpdateAsync(ScopeUpdate update)
        {
            updates.Add(update);
            return Task.CompletedTask;
        }
    }
}
