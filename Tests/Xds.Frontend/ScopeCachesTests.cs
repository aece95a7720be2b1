using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>A frontend holds one cache per scope its streams use, shared, and drops it a while after the last stream.</summary>
public sealed class ScopeCachesTests
{
    private const string Workload = "workload/sidecar/Kubernetes/127.1.0.4";

    private static readonly TimeSpan s_linger = TimeSpan.FromMinutes(1);

    private static XdsResource Cluster(string name) => new(TypeUrls.Cluster, name, "1", [1]);

    private static (ScopeCaches Caches, FakeMeshStateClient Mesh, FakeTimeProvider Time, ResourceCache Default) Create()
    {
        var mesh = new FakeMeshStateClient();
        mesh.Set(new ScopeSnapshot(ScopeNames.Sidecar, Guid.NewGuid(), 1, [Cluster("outbound|9080||reviews")]));
        mesh.Set(new ScopeSnapshot(Workload, Guid.NewGuid(), 1, [Cluster("inbound|9080||")]));
        var time = new FakeTimeProvider();
        var defaults = new ResourceCache(ScopeNames.Default);
        var options = Options.Create(new XdsFrontendOptions { ScopeCacheLinger = s_linger });
        return (new ScopeCaches(defaults, mesh, options, time, NullLogger<ScopeCaches>.Instance), mesh, time, defaults);
    }

    private static ProxyIdentity Sidecar(string ip) =>
        new(ProxyKind.Sidecar, [ip], "reviews-v2.bookinfo", "bookinfo", "bookinfo.svc.cluster.local", new Dictionary<string, string>(), string.Empty);

    [Fact]
    public void Resolve_EachProxyLayersItsWorkloadOverItsNamespacesScope_ANonIstioNodeGetsTheDefaultScope()
    {
        Assert.Equal(ScopeKey.Default, ScopeResolver.Resolve(ProxyIdentity.Proxyless));
        Assert.Equal(
            new ScopeKey("proxyless/Kubernetes/bookinfo", "workload/proxyless/Kubernetes/127.1.0.4"),
            ScopeResolver.Resolve(Sidecar("127.1.0.4") with { Kind = ProxyKind.Proxyless }));
        Assert.Equal("proxyless/Kubernetes/bookinfo/narrow", ScopeNames.ForKind(ScopeNames.SidecarScope("Kubernetes", "bookinfo", "narrow", ["bookinfo/lua"]), ProxyKind.Proxyless));
        var withFilters = ScopeNames.ParseSidecarScope(ScopeNames.SidecarScope("Kubernetes", "book/info", null, ["istio-system/b", "book/info/a"]))!.Value;
        Assert.Equal(("book/info", (string?)null), (withFilters.Namespace, withFilters.SidecarName));
        Assert.Equal(["book/info/a", "istio-system/b"], withFilters.EnvoyFilters);
        Assert.Null(ScopeNames.ParseSidecarScope("sidecar/only-cluster"));
        Assert.Null(ScopeNames.ParseSidecarScope("sidecar/a/b/c/d/e"));
        var sidecar = ScopeResolver.Resolve(Sidecar("127.1.0.4"));
        Assert.Equal(new ScopeKey("sidecar/Kubernetes/bookinfo", Workload), sidecar);
        var parsed = ScopeNames.ParseSidecarScope(sidecar.Base)!.Value;
        Assert.Equal(("Kubernetes", "bookinfo", (string?)null), (parsed.MemberClusterId, parsed.Namespace, parsed.SidecarName));
        Assert.Empty(parsed.EnvoyFilters);
        Assert.Equal((ProxyKind.Sidecar, "Kubernetes", "127.1.0.4"), ScopeNames.ParseWorkload(sidecar.Overlay!));
        var elsewhere = ScopeResolver.Resolve(Sidecar("127.1.0.4") with { MemberClusterId = "east" });
        Assert.Equal("workload/sidecar/east/127.1.0.4", elsewhere.Overlay);
        Assert.Equal("sidecar/east/bookinfo", elsewhere.Base);
        Assert.Equal("sidecar/Kubernetes/default", ScopeResolver.Resolve(Sidecar("127.1.0.4") with { Namespace = "" }).Base);
        Assert.Null(ScopeNames.ParseWorkload("workload/nonsense/x"));
        Assert.Null(ScopeNames.ParseWorkload("sidecar"));
    }

    [Fact]
    public void SidecarScope_AWorkloadSelectedByVeryManyEnvoyFilters_GetsABoundedNameByTheirDigest()
    {
        var few = new[] { "shop/b", "shop/a" };
        Assert.Equal("sidecar/east/shop/~/shop%2Fa,shop%2Fb", ScopeNames.SidecarScope("east", "shop", null, few));

        // A hostile list: 200 long names. The name stays bounded, is the same in any order, and says it is a digest.
        var many = Enumerable.Range(0, 200).Select(i => $"shop/an-envoyfilter-with-a-rather-long-name-{i:D3}").ToList();
        var scope = ScopeNames.SidecarScope("east", "shop", "web", many);
        Assert.True(scope.Length < 100, scope);
        Assert.Equal(scope, ScopeNames.SidecarScope("east", "shop", "web", Enumerable.Reverse(many)));
        Assert.NotEqual(scope, ScopeNames.SidecarScope("east", "shop", "web", many.Skip(1)));
        var parsed = ScopeNames.ParseSidecarScope(scope)!.Value;
        Assert.Equal(("east", "shop", "web"), (parsed.MemberClusterId, parsed.Namespace, parsed.SidecarName));
        Assert.StartsWith(ScopeNames.FilterDigestMark, Assert.Single(parsed.EnvoyFilters), StringComparison.Ordinal);
    }

    [Fact]
    public void WholeMeshScopes_AreNamedByShard_EachHostnameInOneShardEveryProcessAgreesOn()
    {
        Assert.Equal(ScopeNames.WholeMeshShards, ScopeNames.GrainsOf(ScopeNames.Default).Count);
        Assert.Equal([.. ScopeNames.ShardsOf(ScopeNames.Sidecar), ScopeNames.SidecarListeners], ScopeNames.GrainsOf(ScopeNames.Sidecar));
        foreach (var scope in new[] { ScopeNames.Default, ScopeNames.Sidecar, ScopeNames.Router })
        {
            Assert.All(ScopeNames.ShardsOf(scope).Select((key, i) => (key, i)), p => Assert.Equal((scope, (int?)p.i), ScopeNames.ParseShard(p.key)));
        }

        Assert.Equal((ScopeNames.Sidecar, (int?)null), ScopeNames.ParseShard(ScopeNames.SidecarListeners));
        foreach (var other in new[] { "default", "default#", "default#16", "default#03", "default#-1", "sidecar/c/ns#1", "gateway/c/x#1", "#1" })
        {
            Assert.Null(ScopeNames.ParseShard(other));
        }

        // FNV-1a, not string.GetHashCode (randomised per process): these values hold in every process.
        Assert.Equal((int)(0x811c9dc5u % ScopeNames.WholeMeshShards), ScopeNames.ShardOf(string.Empty));
        Assert.Equal(12, ScopeNames.ShardOf("a"));
        Assert.Equal(4, ScopeNames.ShardOf("reviews.bookinfo.svc.cluster.local"));
        var hosts = Enumerable.Range(0, 1000).Select(i => $"svc-{i}.ns-{i % 7}.svc.cluster.local").ToList();
        var counts = hosts.GroupBy(ScopeNames.ShardOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(ScopeNames.WholeMeshShards, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 1000 / ScopeNames.WholeMeshShards / 2, 1000 / ScopeNames.WholeMeshShards * 2));
    }

    [Fact]
    public void Resolve_AGatewayLayersTheScopeOfItsLabelsOverTheGateways_OneNamePerLabelSet()
    {
        var labels = new Dictionary<string, string> { ["istio"] = "ingressgateway", ["app.kubernetes.io/name"] = "edge" };
        var gateway = Sidecar("127.1.0.9") with { Kind = ProxyKind.Router, Labels = labels };

        var scope = ScopeResolver.Resolve(gateway);

        // The namespace comes last: it decides which of that namespace's EnvoyFilters patch the gateway.
        // The base is its namespace's gateways' clusters; a gateway without a namespace takes the whole mesh's.
        Assert.Equal(new ScopeKey("router/Kubernetes/bookinfo", "gateway/Kubernetes/app.kubernetes.io%2Fname=edge,istio=ingressgateway/bookinfo"), scope);
        Assert.Equal(ScopeNames.Router, ScopeResolver.Resolve(gateway with { Namespace = "" }).Base);
        Assert.Equal(("Kubernetes", "bookinfo", (string?)null), ScopeNames.ParseSidecarScope(scope.Base) is { } r ? (r.MemberClusterId, r.Namespace, r.SidecarName) : default);
        Assert.True(ScopeNames.IsPartScope(scope.Base) && ScopeNames.IsRouterScope(scope.Base) && !ScopeNames.IsSidecarScope(scope.Base));
        var patched = ScopeNames.RouterScope("Kubernetes", "bookinfo", ["istio-system/ingress-lua"]);
        Assert.Equal("router/Kubernetes/bookinfo/~/istio-system%2Fingress-lua", patched);
        Assert.Equal(["istio-system/ingress-lua"], ScopeNames.ParseSidecarScope(patched)!.Value.EnvoyFilters);
        Assert.Equal(scope, ScopeResolver.Resolve(gateway with { IpAddresses = ["127.1.0.10"] }));
        Assert.Equal(scope, ScopeResolver.Resolve(gateway with { Labels = labels.Reverse().ToDictionary() }));
        Assert.Equal("gateway/east//bookinfo", ScopeResolver.Resolve(gateway with { Labels = new Dictionary<string, string>(), MemberClusterId = "east" }).Overlay);
        Assert.Equal("gateway/east/", ScopeResolver.Resolve(gateway with { Labels = new Dictionary<string, string>(), MemberClusterId = "east", Namespace = "" }).Overlay);
        var parsed = ScopeNames.ParseGateway(scope.Overlay!)!.Value;
        Assert.Equal("Kubernetes", parsed.MemberClusterId);
        Assert.Equal("bookinfo", parsed.Namespace);
        Assert.Null(ScopeNames.ParseGateway("gateway/east/istio=x")!.Value.Namespace);
        Assert.Null(ScopeNames.ParseGateway("gateway/east/istio=x/"));
        Assert.Equal(labels.OrderBy(l => l.Key), parsed.Labels.OrderBy(l => l.Key));

        // Hostile label text cannot forge another label set's name.
        var hostile = new Dictionary<string, string> { ["a"] = "1,b=2", ["c/d"] = "=%" };
        var forged = ScopeNames.Gateway("Kubernetes", hostile);
        Assert.NotEqual(ScopeNames.Gateway("Kubernetes", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c/d"] = "=%" }), forged);
        Assert.Equal(hostile.OrderBy(l => l.Key), ScopeNames.ParseGateway(forged)!.Value.Labels.OrderBy(l => l.Key));
        Assert.Null(ScopeNames.ParseGateway("gateway/"));
        Assert.Null(ScopeNames.ParseGateway("gateway/east/a=1,a=2"));
        Assert.Null(ScopeNames.ParseGateway("gateway/east/novalue"));
    }

    [Fact]
    public async Task TwoStreamsOfOneWorkload_ShareOneLayeredCache_HoldingBothLayers()
    {
        var (caches, mesh, _, defaults) = Create();
        await using var _ = caches;
        using var first = caches.Acquire(new ScopeKey(ScopeNames.Sidecar, Workload));
        using var second = caches.Acquire(new ScopeKey(ScopeNames.Sidecar, Workload));
        using var proxyless = caches.Acquire(ScopeKey.Default);

        Assert.Same(first.Cache, second.Cache);
        Assert.Same(defaults, proxyless.Cache);
        await first.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["inbound|9080||", "outbound|9080||reviews"], first.Cache.Current.Of(TypeUrls.Cluster).Keys.Order(StringComparer.Ordinal));
        Assert.Equal([ScopeNames.Sidecar, Workload], mesh.Subscribed);

        Assert.Equal(
            [ScopeNames.Sidecar, $"{ScopeNames.Sidecar}+{Workload}", Workload],
            caches.InUse().Select(e => e.Scope).Order(StringComparer.Ordinal));

        // The layered cache is leased by both streams; each layer once, by the layered cache.
        Assert.Equal(2, caches.InUse().Single(e => e.Scope == $"{ScopeNames.Sidecar}+{Workload}").Leases);
        Assert.Equal(1, caches.InUse().Single(e => e.Scope == Workload).Leases);
    }

    [Fact]
    public async Task ACacheNoStreamUses_IsDroppedAfterTheLingerTime_AndItsSubscriptionsEnded()
    {
        var (caches, mesh, time, _) = Create();
        await using var _ = caches;
        var lease = caches.Acquire(new ScopeKey(ScopeNames.Sidecar, Workload));
        await lease.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        lease.Dispose();
        lease.Dispose();

        time.Advance(s_linger / 2);
        Assert.Equal(3, caches.InUse().Count);

        // A stream that comes back within the linger time finds the same cache.
        var again = caches.Acquire(new ScopeKey(ScopeNames.Sidecar, Workload));
        Assert.Same(lease.Cache, again.Cache);
        again.Dispose();

        // The layered cache goes first; its layers, which other workloads' caches may share, linger in turn.
        time.Advance(s_linger + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Task.FromResult(caches.InUse().Count == 2), TimeSpan.FromSeconds(10), "the layered cache is dropped");
        Assert.Empty(mesh.Unsubscribed);
        time.Advance(s_linger + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Task.FromResult(caches.InUse().Count == 0), TimeSpan.FromSeconds(10), "every cache is dropped");
        await Eventually.TrueAsync(() => Task.FromResult(mesh.Unsubscribed.Count == 2), TimeSpan.FromSeconds(10), "both subscriptions end");
        Assert.Equal([ScopeNames.Sidecar, Workload], mesh.Unsubscribed.Order(StringComparer.Ordinal));
    }
}
