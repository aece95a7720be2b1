using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Debug;

namespace Mesh.Orleans.Tests.Xds.Frontend.Debug;

/// <summary>
/// CSDS (<c>envoy.service.status.v3.ClientStatusDiscoveryService</c>) on a real control plane: one
/// ClientConfig per proxy connected to the frontend, built as for syncz; <c>node_matchers</c> on
/// node_id (exact, prefix) select, anything else is refused with InvalidArgument and the reason.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ClientStatusDiscoveryTests(IstioDebugXdsTests.Greeter mesh) : IClassFixture<IstioDebugXdsTests.Greeter>
{
    private const string Alpha = "sidecar~10.9.1.1~alpha-0.demo~demo.svc.cluster.local";
    private const string Beta = "sidecar~10.9.1.2~beta-0.demo~demo.svc.cluster.local";

    private static NodeMatcher Exact(string id) => new() { NodeId = new StringMatcher { Exact = id } };

    private static NodeMatcher Prefix(string prefix) => new() { NodeId = new StringMatcher { Prefix = prefix } };

    private static List<string> NodesIn(ClientStatusResponse response) =>
        response.Config.Select(c => c.Node.Id).Where(id => id == Alpha || id == Beta).ToList();

    [Fact]
    public async Task FetchClientStatus_WithoutMatchers_ListsEveryProxyHere_WithAnExactOrPrefixMatcher_OnlyThose()
    {
        await using var alpha = await ConnectAsync(Alpha);
        await using var beta = await ConnectAsync(Beta);
        await using var istioctl = Istioctl.Connect(mesh.Server.XdsPort);
        await istioctl.SendAsync(Istioctl.Request(IstioDebugTypes.Syncz));
        await istioctl.ReceiveTypeAsync(IstioDebugTypes.Syncz);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{mesh.Server.XdsPort}");
        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(channel);

        var all = await csds.FetchClientStatusAsync(new ClientStatusRequest());
        Assert.Equal([Alpha, Beta], NodesIn(all));
        Assert.DoesNotContain(all.Config, c => c.Node.Id == Istioctl.NodeId());
        var config = all.Config.Single(c => c.Node.Id == Alpha);
        Assert.Equal(ConfigStatus.Stale, config.GenericXdsConfigs.Single(t => t.TypeUrl == TypeUrls.Cluster).ConfigStatus);
        Assert.Equal(ConfigStatus.NotSent, config.GenericXdsConfigs.Single(t => t.TypeUrl == TypeUrls.Listener).ConfigStatus);

        var exact = await csds.FetchClientStatusAsync(new ClientStatusRequest { NodeMatchers = { Exact(Beta) } });
        Assert.Equal([Beta], exact.Config.Select(c => c.Node.Id));

        // OR across matchers; ignore_case honoured.
        var either = await csds.FetchClientStatusAsync(new ClientStatusRequest
        {
            NodeMatchers = { Prefix("sidecar~10.9.1.1~"), new NodeMatcher { NodeId = new StringMatcher { Exact = Beta.ToUpperInvariant(), IgnoreCase = true } } },
        });
        Assert.Equal([Alpha, Beta], either.Config.Select(c => c.Node.Id));

        var nobody = await csds.FetchClientStatusAsync(new ClientStatusRequest { NodeMatchers = { Exact("sidecar~10.9.9.9~nobody-0.demo~demo.svc.cluster.local") } });
        Assert.Empty(nobody.Config);
    }

    [Fact]
    public async Task StreamClientStatus_AnswersEachRequest_WithAndWithoutMatchers_AndSeesAnAck()
    {
        await using var alpha = await ConnectAsync(Alpha);
        await using var beta = await ConnectAsync(Beta);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{mesh.Server.XdsPort}");
        using var call = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(channel).StreamClientStatus(cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        await call.RequestStream.WriteAsync(new ClientStatusRequest());
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal([Alpha, Beta], NodesIn(call.ResponseStream.Current));

        await alpha.Client.AckAsync(alpha.Clusters);
        var synced = false;
        await Eventually.TrueAsync(
            async () =>
            {
                await call.RequestStream.WriteAsync(new ClientStatusRequest { NodeMatchers = { Exact(Alpha) } });
                Assert.True(await call.ResponseStream.MoveNext());
                var config = Assert.Single(call.ResponseStream.Current.Config);
                Assert.Equal(Alpha, config.Node.Id);
                synced = config.GenericXdsConfigs.Single(t => t.TypeUrl == TypeUrls.Cluster).ConfigStatus == ConfigStatus.Synced;
                return synced;
            },
            TimeSpan.FromSeconds(15),
            "alpha's CDS SYNCED after its ACK");

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task UnsupportedMatchers_AreRefusedWithInvalidArgumentAndTheReason_OnFetchAndStream()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{mesh.Server.XdsPort}");
        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(channel);
        var cases = new (NodeMatcher Matcher, string Reason)[]
        {
            (new NodeMatcher { NodeMetadatas = { new StructMatcher { Path = { new StructMatcher.Types.PathSegment { Key = "NAMESPACE" } }, Value = new ValueMatcher { StringMatch = new StringMatcher { Exact = "demo" } } } } }, "node_metadatas are not supported"),
            (new NodeMatcher { NodeId = new StringMatcher { Suffix = ".svc.cluster.local" } }, "suffix is not supported"),
            (new NodeMatcher { NodeId = new StringMatcher { SafeRegex = new RegexMatcher { Regex = ".*" } } }, "safe_regex is not supported"),
            (new NodeMatcher { NodeId = new StringMatcher { Contains = "demo" } }, "contains is not supported"),
            (new NodeMatcher { NodeId = new StringMatcher() }, "sets no pattern"),
            (new NodeMatcher(), "has no node_id"),
        };
        foreach (var (matcher, reason) in cases)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await csds.FetchClientStatusAsync(new ClientStatusRequest { NodeMatchers = { Exact(Alpha), matcher } }));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains(reason, refused.Status.Detail, StringComparison.Ordinal);
        }

        var tooMany = new ClientStatusRequest();
        tooMany.NodeMatchers.AddRange(Enumerable.Range(0, 101).Select(i => Exact($"node-{i}")));
        var many = await Assert.ThrowsAsync<RpcException>(async () => await csds.FetchClientStatusAsync(tooMany));
        Assert.Contains("exceed the limit of 100", many.Status.Detail, StringComparison.Ordinal);

        using var call = csds.StreamClientStatus(cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await call.RequestStream.WriteAsync(new ClientStatusRequest { NodeMatchers = { cases[1].Matcher } });
        var ended = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.InvalidArgument, ended.StatusCode);
        Assert.Contains("suffix is not supported", ended.Status.Detail, StringComparison.Ordinal);

        // The service keeps answering.
        Assert.NotNull(await csds.FetchClientStatusAsync(new ClientStatusRequest()));
    }

    private async Task<Connected> ConnectAsync(string node)
    {
        var client = AdsTestClient.Connect(mesh.Server.XdsPort, node, metadata: IstioDebugXdsTests.SidecarMetadata());
        await client.SendAsync(TypeUrls.Cluster);
        return new Connected(client, await client.ReceiveTypeAsync(TypeUrls.Cluster));
    }

    private sealed record Connected(AdsTestClient Client, Envoy.Service.Discovery.V3.DiscoveryResponse Clusters) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}
