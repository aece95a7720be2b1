using System.Text.Json;
using Envoy.Admin.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Debug;

namespace Mesh.Orleans.Tests.Xds.Frontend.Debug;

/// <summary>
/// istioctl's debug requests over ADS against a real control plane: exactly what
/// <c>istioctl proxy-status --xds-address 127.0.0.1:15010 --plaintext</c> sends (adsc's node, metadata
/// <c>GENERATOR: event</c>, a nonce the server never issued) is answered with one ClientConfig per
/// proxy in istiod's shape and status rules, and <c>istioctl proxy-status &lt;pod&gt;.&lt;ns&gt;</c> with
/// the proxy's config dump; istioctl itself is never a proxy.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class IstioDebugXdsTests(IstioDebugXdsTests.Greeter mesh) : IClassFixture<IstioDebugXdsTests.Greeter>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    /// <summary>An Envoy sidecar's metadata, with what a ClientConfig copies.</summary>
    public static Struct SidecarMetadata()
    {
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString("demo");
        metadata.Fields["CLUSTER_ID"] = Value.ForString("Kubernetes");
        metadata.Fields["ISTIO_VERSION"] = Value.ForString("1.27.0");
        return metadata;
    }

    /// <summary>The ClientConfig of <paramref name="nodeId"/> in a syncz response (null when absent).</summary>
    public static ClientConfig? ConfigOf(DiscoveryResponse response, string nodeId) =>
        response.Resources.Select(r => r.Unpack<ClientConfig>()).SingleOrDefault(c => c.Node.Id == nodeId);

    /// <summary>The status of <paramref name="typeUrl"/> in <paramref name="config"/> (null when not listed).</summary>
    public static ClientConfig.Types.GenericXdsConfig? TypeOf(ClientConfig config, string typeUrl) =>
        config.GenericXdsConfigs.SingleOrDefault(t => t.TypeUrl == typeUrl);

    [Fact]
    public async Task Syncz_AsIstioctlSendsIt_ListsTheSidecar_StaleBeforeItsAck_SyncedAfter_ErrorAfterANack()
    {
        const string node = "sidecar~10.9.0.1~client-0.demo~demo.svc.cluster.local";
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, node, metadata: SidecarMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        var clusters = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        await sidecar.SendAsync(TypeUrls.Listener);
        var listeners = await sidecar.ReceiveTypeAsync(TypeUrls.Listener);

        await using var istioctl = Istioctl.Connect(mesh.Server.XdsPort);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz));
        var response = await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz);

        // istiod's shape: the request's type, a nonce, control_plane naming this process, ClientConfig Anys.
        Assert.NotEmpty(response.Nonce);
        Assert.NotEmpty(response.VersionInfo);
        using (var identity = JsonDocument.Parse(response.ControlPlane.Identifier))
        {
            Assert.Equal("istiod", identity.RootElement.GetProperty("Component").GetString());
            Assert.EndsWith($"/{Environment.ProcessId}", identity.RootElement.GetProperty("ID").GetString(), StringComparison.Ordinal);
            Assert.NotEmpty(identity.RootElement.GetProperty("Info").GetProperty("version").GetString()!);
        }

        Assert.All(response.Resources, r => Assert.Equal("type.googleapis.com/envoy.service.status.v3.ClientConfig", r.TypeUrl));
        var config = ConfigOf(response, node);
        Assert.NotNull(config);
        Assert.Equal("demo", config.Node.Metadata.Fields["NAMESPACE"].StringValue);
        Assert.Equal("Kubernetes", config.Node.Metadata.Fields["CLUSTER_ID"].StringValue);
        Assert.Equal("1.27.0", config.Node.Metadata.Fields["ISTIO_VERSION"].StringValue);

        // Sent, not yet ACKed: STALE with the time it went; never asked: NOT_SENT without a time. Sorted by type URL.
        Assert.Equal(ConfigStatus.Stale, TypeOf(config, TypeUrls.Cluster)!.ConfigStatus);
        Assert.Equal(clusters.VersionInfo, TypeOf(config, TypeUrls.Cluster)!.VersionInfo);
        Assert.NotNull(TypeOf(config, TypeUrls.Cluster)!.LastUpdated);
        Assert.Equal(ConfigStatus.Stale, TypeOf(config, TypeUrls.Listener)!.ConfigStatus);
        Assert.Equal(ConfigStatus.NotSent, TypeOf(config, TypeUrls.ClusterLoadAssignment)!.ConfigStatus);
        Assert.Null(TypeOf(config, TypeUrls.ClusterLoadAssignment)!.LastUpdated);
        Assert.Equal(ConfigStatus.NotSent, TypeOf(config, TypeUrls.RouteConfiguration)!.ConfigStatus);
        Assert.Equal(config.GenericXdsConfigs.Select(t => t.TypeUrl).Order(StringComparer.Ordinal), config.GenericXdsConfigs.Select(t => t.TypeUrl));

        // istioctl is not a proxy: not listed, not registered.
        Assert.Null(ConfigOf(response, Istioctl.NodeId()));
        Assert.DoesNotContain(mesh.Server.Streams.Streams, s => s.NodeId == Istioctl.NodeId());

        await sidecar.AckAsync(clusters);
        await sidecar.NackAsync(listeners, acceptedVersion: string.Empty, error: "listener rejected by test");

        // The same debug stream answers again, whatever nonce it sends, with no ACK in between.
        ClientConfig? later = null;
        await Eventually.TrueAsync(
            async () =>
            {
                await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz, withNode: false));
                later = ConfigOf(await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz), node);
                return later is not null && TypeOf(later, TypeUrls.Cluster)!.ConfigStatus == ConfigStatus.Synced && TypeOf(later, TypeUrls.Listener)!.ConfigStatus == ConfigStatus.Error;
            },
            s_timeout,
            "CDS SYNCED after its ACK and LDS ERROR after its NACK");
        var error = TypeOf(later!, TypeUrls.Listener)!.ErrorState;
        Assert.Equal("listener rejected by test", error.Details);
        Assert.Equal(listeners.VersionInfo, error.VersionInfo);
        Assert.NotNull(error.LastUpdateAttempt);
    }

    [Fact]
    public async Task Syncz_FromANodeIdNoProxyCouldUse_IsAnsweredWithoutAScope_AndNotRegistered()
    {
        // adsc's id when the host has no private IP: a sidecar with this id is refused (no workload), istioctl is not.
        await using var refused = AdsTestClient.Connect(mesh.Server.XdsPort, Istioctl.NodeId(ip: string.Empty), metadata: SidecarMetadata());
        await refused.SendAsync(TypeUrls.Cluster);
        Assert.Equal(StatusCode.InvalidArgument, (await refused.WaitForEndAsync()).StatusCode);

        await using var istioctl = AdsTestClient.Connect(mesh.Server.XdsPort, Istioctl.NodeId(ip: string.Empty), metadata: Istioctl.Metadata());
        var streams = mesh.Server.Streams.Count;
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz, ip: string.Empty));
        var response = await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz);

        Assert.Equal(IstioDebugTypes.Syncz, response.TypeUrl);
        Assert.DoesNotContain(mesh.Server.Streams.Streams, s => s.NodeId == Istioctl.NodeId(ip: string.Empty));
        Assert.True(mesh.Server.Streams.Count <= streams);
    }

    [Fact]
    public async Task ConfigDump_ForPodDotNamespace_IsWhatTheProxyWasSent_AndEmptyForAProxyNotHere()
    {
        const string node = "sidecar~10.9.0.2~dumped-0.demo~demo.svc.cluster.local";
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, node, metadata: SidecarMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        var clusters = await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        await sidecar.SendAsync(TypeUrls.Listener);
        var listeners = await sidecar.ReceiveTypeAsync(TypeUrls.Listener);
        await sidecar.AckAsync(clusters);
        await sidecar.AckAsync(listeners);

        await using var istioctl = Istioctl.Connect(mesh.Server.XdsPort);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, ["dumped-0.demo"]));
        var response = await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump);

        // istiod's order (without its empty bootstrap, scoped routes and ECDS dumps).
        Assert.Equal(
            new[] { ClustersConfigDump.Descriptor, ListenersConfigDump.Descriptor, RoutesConfigDump.Descriptor, SecretsConfigDump.Descriptor }.Select(d => "type.googleapis.com/" + d.FullName),
            response.Resources.Select(r => r.TypeUrl));
        var dumpedClusters = response.Resources[0].Unpack<ClustersConfigDump>();
        Assert.Equal(clusters.VersionInfo, dumpedClusters.VersionInfo);
        Assert.Equal(
            AdsTestClient.Unpack<Cluster>(clusters).Select(c => c.Name).Order(StringComparer.Ordinal),
            dumpedClusters.DynamicActiveClusters.Select(c => c.Cluster.Unpack<Cluster>().Name));
        Assert.All(dumpedClusters.DynamicActiveClusters, c =>
        {
            Assert.NotEmpty(c.VersionInfo);
            Assert.NotNull(c.LastUpdated);
        });
        var dumpedListeners = response.Resources[1].Unpack<ListenersConfigDump>();
        Assert.Equal(
            AdsTestClient.Unpack<Listener>(listeners).Select(l => l.Name).Order(StringComparer.Ordinal),
            dumpedListeners.DynamicListeners.Select(l => l.Name));
        Assert.All(dumpedListeners.DynamicListeners, l => Assert.Equal(l.Name, l.ActiveState.Listener.Unpack<Listener>().Name));
        Assert.Empty(response.Resources[2].Unpack<RoutesConfigDump>().DynamicRouteConfigs);

        // A proxy not connected here: an empty list, as istiod answers (istioctl then asks another instance).
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, ["nobody-0.demo"], withNode: false));
        Assert.Empty((await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump)).Resources);
    }

    [Fact]
    public async Task ConfigDump_OfADeltaClient_IsWhatItHolds_AndSyncz_ShowsItsAck()
    {
        const string node = "sidecar~10.9.0.4~delta-0.demo~demo.svc.cluster.local";
        await using var delta = DeltaTestClient.Connect(mesh.Server.XdsPort, node, metadata: SidecarMetadata());
        await delta.SendAsync(TypeUrls.Cluster);
        var clusters = await delta.ReceiveAsync();
        await delta.AckAsync(clusters);

        await using var istioctl = Istioctl.Connect(mesh.Server.XdsPort);
        await Eventually.TrueAsync(
            async () =>
            {
                await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz));
                var config = ConfigOf(await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz), node);
                return config is not null && TypeOf(config, TypeUrls.Cluster)!.ConfigStatus == ConfigStatus.Synced;
            },
            s_timeout,
            "the Delta client's CDS SYNCED after its ACK");
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, ["delta-0.demo"], withNode: false));
        var dumped = (await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump)).Resources[0].Unpack<ClustersConfigDump>();

        // Each cluster at the version the Delta client holds it.
        Assert.Equal(
            clusters.Resources.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => (r.Name, r.Version)),
            dumped.DynamicActiveClusters.Select(c => (c.Cluster.Unpack<Cluster>().Name, c.VersionInfo)));
    }

    [Fact]
    public async Task HostileDebugRequests_AreAnsweredAsIstiodAnswers_AndTheStreamCarriesOn_UntilItAsksForConfiguration()
    {
        const string node = "sidecar~10.9.0.3~hostile-0.demo~demo.svc.cluster.local";
        await using var sidecar = AdsTestClient.Connect(mesh.Server.XdsPort, node, metadata: SidecarMetadata());
        await sidecar.SendAsync(TypeUrls.Cluster);
        await sidecar.ReceiveTypeAsync(TypeUrls.Cluster);
        await using var istioctl = Istioctl.Connect(mesh.Server.XdsPort);

        // 100,000 names, then one name of 1 MB: not exactly one proxy name, so empty (istiod logs and answers empty).
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, Enumerable.Range(0, 100_000).Select(i => $"pod-{i}.demo")));
        Assert.Empty((await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump)).Resources);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.ConfigDump, [new string('h', 1024 * 1024)], withNode: false));
        Assert.Empty((await istioctl.ReceiveTypeAsync(IstioDebugTypes.ConfigDump)).Resources);

        // Debug types istiod's StatusGen does not know: an empty response of that type.
        foreach (var unknown in new[] { "istio.io/debug/nothing", IstioDebugTypes.Debug })
        {
            await istioctl.SendAsync(Istioctl.Request(unknown, ["syncz"], withNode: false));
            var answer = await istioctl.ReceiveTypeAsync(unknown);
            Assert.Empty(answer.Resources);
        }

        // Still answering.
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz, withNode: false));
        Assert.NotNull(ConfigOf(await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz), node));

        // Configuration on a debug stream is refused with the reason; the sidecar's stream is untouched.
        await istioctl.SendAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster });
        var status = await istioctl.WaitForEndAsync();
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("answers only istio.io/debug/* types", status.Detail, StringComparison.Ordinal);
        Assert.Null(sidecar.FinalStatus);
    }

    /// <summary>A control plane serving the greeter sample.</summary>
    public sealed class Greeter : IAsyncLifetime
    {
        /// <summary>The control plane.</summary>
        public MeshServer Server { get; private set; } = null!;

        /// <inheritdoc/>
        public async Task InitializeAsync() => Server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["greeter.yaml"] = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "greeter.yaml")),
        });

        /// <inheritdoc/>
        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
