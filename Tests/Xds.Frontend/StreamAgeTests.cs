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
    public void TheDefaultAge_IsIstios30Minutes_WithTenPercentJitter()
    {
        var options = new Mesh.Orleans.Xds.Frontend.XdsFrontendOptions();

        Assert.Equal((TimeSpan.FromMinutes(30), 0.1), (options.MaxStreamAge, options.MaxStreamAgeJitter));
    }
}
