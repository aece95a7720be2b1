using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>What xDS streams do once the process starts shutting down (ApplicationStopping).</summary>
public sealed class XdsStreamDrainTests
{
    [Fact]
    public async Task NewStream_WhileDraining_EndsAtOnceWithUnavailable()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["echo.yaml"] = MeshYaml.Service("echo", 7000) });
        await using var open = AdsTestClient.Connect(server.XdsPort);
        await open.SendAsync(TypeUrls.Cluster);
        await open.ReceiveAsync();

        // Signals the drain without stopping the host, so the xDS port still accepts streams.
        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var openStatus = await open.WaitForEndAsync(TimeSpan.FromSeconds(5));
        await using var late = AdsTestClient.Connect(server.XdsPort);
        await late.SendAsync(TypeUrls.Cluster);
        var lateStatus = await late.WaitForEndAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(new Status(StatusCode.Unavailable, "control plane shutting down"), openStatus);
        Assert.Equal(new Status(StatusCode.Unavailable, "control plane shutting down"), lateStatus);
    }
}
