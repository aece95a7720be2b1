using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;
using Mesh.Orleans.Xds.Frontend.Debug;

namespace Mesh.Orleans.Tests.Xds.Frontend.Debug;

/// <summary>
/// istiod's sync status rule (<c>debugSyncStatus</c>) over a type's protocol events, and the CSDS
/// node matchers, without a server.
/// </summary>
public sealed class ClientStatusesTests
{
    private static readonly DateTimeOffset s_at = new(2026, 8, 22, 15, 0, 0, TimeSpan.Zero);

    private static TypeSyncStatus? Apply(TypeSyncStatus? status, ProxyEventKind kind, string version, string nonce, string? error = null) =>
        TypeSyncStatus.Apply(status, new ProxyEvent("s", TypeUrls.Cluster, kind, version, nonce, error, s_at));

    [Fact]
    public void StatusOf_FollowsIstiod_NotSentStaleSynced_ErrorFromANackUntilTheNextAck()
    {
        Assert.Equal(ConfigStatus.NotSent, ClientStatuses.StatusOf(null));
        var status = TypeSyncStatus.Apply(null, new ProxyEvent("s", TypeUrls.Cluster, ProxyEventKind.Subscribed, string.Empty, string.Empty, null, s_at, ["*"], 1));
        Assert.Equal(ConfigStatus.NotSent, ClientStatuses.StatusOf(status));

        status = Apply(status, ProxyEventKind.Sent, "v1", "1");
        Assert.Equal(ConfigStatus.Stale, ClientStatuses.StatusOf(status));
        Assert.Equal(s_at, status!.SentAt);
        status = Apply(status, ProxyEventKind.Acked, "v1", "1");
        Assert.Equal(ConfigStatus.Synced, ClientStatuses.StatusOf(status));

        // The same version sent again under a new nonce is not yet ACKed: nonces decide, as in istiod.
        status = Apply(status, ProxyEventKind.Sent, "v1", "2");
        Assert.Equal(ConfigStatus.Stale, ClientStatuses.StatusOf(status));
        status = Apply(status, ProxyEventKind.Nacked, "v1", "2", "bad cluster");
        Assert.Equal(ConfigStatus.Error, ClientStatuses.StatusOf(status));

        // A new version does not clear the error; its ACK does.
        status = Apply(status, ProxyEventKind.Sent, "v2", "3");
        Assert.Equal(ConfigStatus.Error, ClientStatuses.StatusOf(status));
        status = Apply(status, ProxyEventKind.Acked, "v2", "3");
        Assert.Equal(ConfigStatus.Synced, ClientStatuses.StatusOf(status));
        Assert.Null(status!.LastError);

        // A NACK without a message is still an error.
        status = Apply(Apply(status, ProxyEventKind.Sent, "v3", "4"), ProxyEventKind.Nacked, "v3", "4", string.Empty);
        Assert.Equal(ConfigStatus.Error, ClientStatuses.StatusOf(status));
    }

    [Fact]
    public void StreamStats_ReplayedToTheProxyGrain_KeepTheErrorAfterTheAck()
    {
        var stats = new StreamStats();
        stats.Apply(new ProxyEvent("s", TypeUrls.Cluster, ProxyEventKind.Sent, "v1", "1", null, s_at));
        stats.Apply(new ProxyEvent("s", TypeUrls.Cluster, ProxyEventKind.Acked, "v1", "1", null, s_at));
        stats.Apply(new ProxyEvent("s", TypeUrls.Cluster, ProxyEventKind.Sent, "v2", "2", null, s_at));
        stats.Apply(new ProxyEvent("s", TypeUrls.Cluster, ProxyEventKind.Nacked, "v2", "2", "bad", s_at));

        TypeSyncStatus? replayed = null;
        foreach (var e in stats.TakeUnreported("s"))
        {
            replayed = TypeSyncStatus.Apply(replayed, e);
        }

        Assert.Equal(ClientStatuses.StatusOf(stats.Types.Single()), ClientStatuses.StatusOf(replayed));
        Assert.Equal("bad", replayed!.LastError);
    }

    [Fact]
    public void NodeMatchers_ExactAndPrefix_OrAcrossMatchers_NoneMeansEveryNode()
    {
        Assert.Null(NodeMatchers.Compile([]));
        var include = NodeMatchers.Compile(
        [
            new NodeMatcher { NodeId = new StringMatcher { Exact = "sidecar~1~a.ns~ns.svc.cluster.local" } },
            new NodeMatcher { NodeId = new StringMatcher { Prefix = "ROUTER~", IgnoreCase = true } },
        ])!;

        Assert.True(include("sidecar~1~a.ns~ns.svc.cluster.local"));
        Assert.False(include("sidecar~1~a.ns~ns.svc.cluster.local-2"));
        Assert.True(include("router~2~gw.istio-system~istio-system.svc.cluster.local"));
        Assert.False(include("sidecar~3~b.ns~ns.svc.cluster.local"));
    }

    [Fact]
    public void NodeMatchers_Unsupported_AreRefusedWithTheReason()
    {
        var refused = Assert.Throws<RpcException>(() => NodeMatchers.Compile([new NodeMatcher { NodeId = new StringMatcher { Suffix = "x" } }]));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("node_matchers[0].node_id: suffix is not supported; use exact or prefix", refused.Status.Detail);
    }
}
