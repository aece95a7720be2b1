using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>What every xDS stream does whatever its variant: draining on shutdown, bounds on what one stream may hold.</summary>
public sealed class XdsStreamTests
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

    [Fact]
    public async Task SotwStream_AskingForOneTypeUrlMoreThanTheLimit_EndsWithInvalidArgumentNamingTheLimit()
    {
        await using var server = await MeshServer.StartAsync(settings: new Dictionary<string, string?> { ["Mesh:Frontend:MaxTypeUrlsPerStream"] = "4" });
        await using var client = AdsTestClient.Connect(server.XdsPort);
        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync($"type.googleapis.com/test.Unknown{i}");
            await client.ReceiveAsync();
        }

        await client.SendAsync("type.googleapis.com/test.Unknown4");
        var status = await client.WaitForEndAsync();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("at most 4 distinct type URLs", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeltaStream_AskingForOneTypeUrlMoreThanTheLimit_EndsWithInvalidArgumentNamingTheLimit()
    {
        await using var server = await MeshServer.StartAsync(settings: new Dictionary<string, string?> { ["Mesh:Frontend:MaxTypeUrlsPerStream"] = "2" });
        await using var client = DeltaTestClient.Connect(server.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await client.ReceiveAsync();
        await client.SendAsync("type.googleapis.com/test.Unknown", subscribe: ["a"]);
        await client.ReceiveAsync();

        await client.SendAsync(TypeUrls.Listener);
        var status = await client.WaitForEndAsync();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("at most 2 distinct type URLs", status.Detail, StringComparison.Ordinal);
    }
}
