using Envoy.Config.Endpoint.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// The push path's invariants, proved with counters rather than timings: one change builds
/// each changed resource once per process however many streams send it, and reaches only
/// the streams subscribed to it.
/// </summary>
public sealed class PushPathInvariantTests
{
    private const int Services = 20;

    private static string Cluster(int i) => $"outbound|8080||svc{i}.default.svc.cluster.local";

    private static Dictionary<string, string> Mesh(string hotAddress)
    {
        var files = new Dictionary<string, string>();
        for (var i = 0; i < Services; i++)
        {
            files[$"svc{i}.yaml"] = MeshYaml.Documents(
                MeshYaml.Service($"svc{i}", 8080),
                MeshYaml.Slice($"svc{i}-1", $"svc{i}", 18080, [(i == 0 ? hotAddress : $"127.0.1.{i}", true)]));
        }

        return files;
    }

    [Fact]
    public async Task OneEndpointChange_BuildsOneResourceOnce_AndReachesOnlyItsSubscribers()
    {
        await using var server = await MeshServer.StartAsync(Mesh("127.0.0.1"));
        var hot = new List<Func<Task<bool>>>();
        var disposables = new List<IAsyncDisposable>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var sotw = AdsTestClient.Connect(server.XdsPort, $"sidecar~127.0.0.1~hot-sotw-{i}.default~default.svc.cluster.local");
                disposables.Add(sotw);
                await sotw.SendAsync(TypeUrls.ClusterLoadAssignment, [Cluster(0), Cluster(1 + i)]);
                await sotw.AckAsync(await sotw.ReceiveAsync(), [Cluster(0), Cluster(1 + i)]);
                hot.Add(async () => AdsTestClient.Unpack<ClusterLoadAssignment>(await sotw.ReceiveAsync()).Single().ClusterName == Cluster(0));

                var delta = DeltaTestClient.Connect(server.XdsPort, $"sidecar~127.0.0.1~hot-delta-{i}.default~default.svc.cluster.local");
                disposables.Add(delta);
                await delta.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: ["*"]);
                await delta.AckAsync(await delta.ReceiveAsync());
                hot.Add(async () => (await delta.ReceiveAsync()).Resources.Single().Name == Cluster(0));
            }

            var unrelatedIds = new List<string>();
            for (var i = 0; i < 10; i++)
            {
                var node = $"sidecar~127.0.0.1~cold-{i}.default~default.svc.cluster.local";
                unrelatedIds.Add(node);
                if (i % 2 == 0)
                {
                    var sotw = AdsTestClient.Connect(server.XdsPort, node);
                    disposables.Add(sotw);
                    await sotw.SendAsync(TypeUrls.ClusterLoadAssignment, [Cluster(1 + i)]);
                    await sotw.AckAsync(await sotw.ReceiveAsync(), [Cluster(1 + i)]);
                    await sotw.SendAsync(TypeUrls.Listener, [$"svc{1 + i}.default.svc.cluster.local:8080"]);
                    await sotw.AckAsync(await sotw.ReceiveAsync(), [$"svc{1 + i}.default.svc.cluster.local:8080"]);
                }
                else
                {
                    var delta = DeltaTestClient.Connect(server.XdsPort, node);
                    disposables.Add(delta);
                    await delta.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: [Cluster(1 + i)]);
                    await delta.AckAsync(await delta.ReceiveAsync());
                    await delta.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
                    await delta.AckAsync(await delta.ReceiveAsync());
                }
            }

            await Task.Delay(200); // Let the last ACKs land so the counters below start from rest.
            // Counted process-wide: the scope's cache and its layered views build through one interner,
            // and whichever asks first builds (a per-cache counter would depend on who came first).
            var interner = server.Services.GetRequiredService<ResourceInterner>();
            var builtBefore = interner.Built;
            var before = server.Streams.Streams.ToDictionary(s => s.StreamId, s => s.Stats.Responses);

            await server.WriteConfigAsync("svc0.yaml", Mesh("127.0.0.2")["svc0.yaml"]);
            foreach (var received in hot)
            {
                Assert.True(await received(), "a subscriber of the changed assignment received something else");
            }

            await Task.Delay(300); // Anything wrongly sent to other streams would have gone out by now.
            var after = server.Streams.Streams.ToDictionary(s => s.StreamId, s => (s.NodeId, s.Stats.Responses));

            Assert.Equal(builtBefore + 1, interner.Built);
            Assert.All(after.Where(s => s.Value.NodeId.Contains("~hot-", StringComparison.Ordinal)), s => Assert.Equal(before[s.Key] + 1, s.Value.Responses));
            Assert.All(after.Where(s => unrelatedIds.Contains(s.Value.NodeId)), s => Assert.Equal(before[s.Key], s.Value.Responses));
            Assert.Equal(30, after.Count);
        }
        finally
        {
            foreach (var disposable in disposables)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AClientThatStopsReading_DoesNotHoldUpOthers_AndLaterGetsTheNewestVersionOnly()
    {
        // Big clusters, so that a stream that is not read fills HTTP/2's flow-control window.
        var files = new Dictionary<string, string>();
        for (var i = 0; i < 120; i++)
        {
            files[$"big{i}.yaml"] = MeshYaml.Service($"big-service-with-a-rather-long-name-{i:D4}", 8080);
        }

        await using var server = await MeshServer.StartAsync(files);
        // The smallest HTTP/2 receive window: a few unread responses fill it and block the server's writes.
        await using var slow = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~slow.default~default.svc.cluster.local", receiveWindow: 65_535, read: false);
        await using var fast = AdsTestClient.Connect(server.XdsPort, "sidecar~127.0.0.1~fast.default~default.svc.cluster.local");
        await slow.SendAsync(TypeUrls.Cluster);
        await fast.SendAsync(TypeUrls.Cluster);
        await fast.AckAsync(await fast.ReceiveAsync());

        // The slow client never reads or ACKs from here on; the fast one keeps up with every change.
        for (var change = 0; change < 12; change++)
        {
            await server.WriteConfigAsync($"extra{change}.yaml", MeshYaml.Service($"extra-{change}", 8080));
            var response = await fast.ReceiveAsync();
            Assert.Equal(120 + change + 1, response.Resources.Count);
            await fast.AckAsync(response);
        }

        slow.StartReading();
        var received = new List<Envoy.Service.Discovery.V3.DiscoveryResponse> { await slow.ReceiveAsync() };
        while (!await slow.NothingWithinAsync(TimeSpan.FromMilliseconds(500)))
        {
            received.Add(await slow.ReceiveAsync());
        }

        // 13 versions existed (the first and 12 changes); the blocked stream skipped the ones
        // superseded while it was not reading, and ends on the newest.
        Assert.InRange(received.Count, 2, 12);
        Assert.Equal(132, received[^1].Resources.Count);
    }
}
