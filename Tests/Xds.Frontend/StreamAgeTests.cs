using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// Streams have a maximum age (<c>Mesh:Frontend:MaxStreamAge</c>, Istio's 30 minutes by default):
/// past it the frontend ends the stream with Unavailable and asks its connection to close, so the
/// proxy reconnects wherever its load balancer sends it; a Delta proxy that comes back with what
/// it holds is sent nothing.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class StreamAgeTests
{
    private static readonly Dictionary<string, string?> s_twoSecondStreams = new()
    {
        ["Mesh:Frontend:MaxStreamAge"] = "00:00:02",
        ["Mesh:Frontend:MaxStreamAgeJitter"] = "0",
    };

    [Fact]
    public async Task AStreamPastItsMaximumAge_EndsWithUnavailable_AndADeltaProxyComingBackIsSentNothing()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["a.yaml"] = MeshYaml.Service("a", 7000) }, s_twoSecondStreams);
        await using var sotw = AdsTestClient.Connect(server.XdsPort);
        await using var delta = DeltaTestClient.Connect(server.XdsPort);
        await sotw.SendAsync(TypeUrls.Cluster);
        await sotw.AckAsync(await sotw.ReceiveAsync());
        await delta.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
        var held = (await delta.ReceiveAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        var opened = DateTime.UtcNow;

        var sotwEnd = await sotw.WaitForEndAsync(TimeSpan.FromSeconds(20));
        var deltaEnd = await delta.WaitForEndAsync(TimeSpan.FromSeconds(20));

        Assert.Equal((StatusCode.Unavailable, "stream reached its maximum age; reconnect"), (sotwEnd.StatusCode, sotwEnd.Detail));
        Assert.Equal(StatusCode.Unavailable, deltaEnd.StatusCode);
        Assert.InRange(DateTime.UtcNow - opened, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));

        await using var back = DeltaTestClient.Connect(server.XdsPort);
        await back.SendAsync(TypeUrls.Cluster, subscribe: ["*"], initialVersions: held);
        var response = await back.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(response.Resources);
        Assert.Empty(response.RemovedResources);
    }

    [Fact]
    public async Task OnShutdown_OpenStreamsEndSpreadOverTheDrainSpread_AllWithUnavailable()
    {
        var server = await MeshServer.StartAsync(
            new Dictionary<string, string> { ["a.yaml"] = MeshYaml.Service("a", 7000) },
            new Dictionary<string, string?> { ["Mesh:Frontend:DrainSpread"] = "00:00:01.500" });
        var clients = Enumerable.Range(0, 20).Select(i => AdsTestClient.Connect(server.XdsPort, $"drain-{i}")).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.SendAsync(TypeUrls.Cluster);
                await client.AckAsync(await client.ReceiveAsync());
            }

            // The stop runs on its own thread (its stopping callbacks block it while the streams drain).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var ending = clients.Select(async c => (Status: await c.WaitForEndAsync(TimeSpan.FromSeconds(20)), At: clock.Elapsed)).ToList();
            var stopping = Task.Run(async () => await server.DisposeAsync());
            var ends = await Task.WhenAll(ending);
            await stopping;

            Assert.All(ends, e => Assert.Equal((StatusCode.Unavailable, "control plane shutting down"), (e.Status.StatusCode, e.Status.Detail)));
            var first = ends.Min(e => e.At);
            var last = ends.Max(e => e.At);
            Assert.True(last - first > TimeSpan.FromMilliseconds(300), $"the ends are spread: {first.TotalMilliseconds:0} to {last.TotalMilliseconds:0} ms");
            Assert.True(last < TimeSpan.FromSeconds(5), $"every stream ended within the drain timeout: last after {last.TotalMilliseconds:0} ms");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public void TheDefaultAge_IsIstios30Minutes_WithTenPercentJitter()
    {
        var options = new Mesh.Orleans.Xds.Frontend.XdsFrontendOptions();

        Assert.Equal((TimeSpan.FromMinutes(30), 0.1), (options.MaxStreamAge, options.MaxStreamAgeJitter));
    }
}
