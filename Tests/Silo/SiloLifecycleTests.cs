using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// How the Silo executable starts and stops as a process: SIGTERM with streams open, and
/// startup failures that must end in one clear line and a non-zero exit, not a stack trace.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SiloLifecycleTests(ITestOutputHelper output)
{
    private const string ShuttingDown = "control plane shutting down";

    [Fact]
    public async Task Sigterm_WithOpenSotwAndDeltaStreams_EndsThemWithUnavailableAndExitsZeroPromptly()
    {
        await using var silo = await SiloProcess.StartAsync([]);
        await using var sotw = AdsTestClient.Connect(silo.XdsPort);
        await using var delta = DeltaTestClient.Connect(silo.XdsPort);
        await sotw.SendAsync(TypeUrls.Cluster);
        await sotw.AckAsync(await sotw.ReceiveAsync());
        await delta.SendAsync(TypeUrls.Cluster);
        await delta.AckAsync(await delta.ReceiveAsync());
        await Eventually.TrueAsync(async () => await StreamCountAsync(silo.DebugPort) == 2, TimeSpan.FromSeconds(10), "both streams registered");

        var clock = Stopwatch.StartNew();
        silo.Terminate();
        var sotwStatus = await sotw.WaitForEndAsync(TimeSpan.FromSeconds(45));
        var sotwEnded = clock.Elapsed;
        var deltaStatus = await delta.WaitForEndAsync(TimeSpan.FromSeconds(45));
        var deltaEnded = clock.Elapsed;
        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(45));
        var exited = clock.Elapsed;
        output.WriteLine($"SotW stream ended after {sotwEnded.TotalSeconds:0.00} s with {sotwStatus}");
        output.WriteLine($"Delta stream ended after {deltaEnded.TotalSeconds:0.00} s with {deltaStatus}");
        output.WriteLine($"process exited {exitCode} after {exited.TotalSeconds:0.00} s");
        output.WriteLine(silo.StandardOutput);
        output.WriteLine(silo.StandardError);

        Assert.Equal(StatusCode.Unavailable, sotwStatus.StatusCode);
        Assert.Equal(ShuttingDown, sotwStatus.Detail);
        Assert.Equal(StatusCode.Unavailable, deltaStatus.StatusCode);
        Assert.Equal(ShuttingDown, deltaStatus.Detail);
        Assert.True(deltaEnded < TimeSpan.FromSeconds(5), $"streams ended after {deltaEnded.TotalSeconds:0.00} s");
        Assert.Equal(0, exitCode);
        Assert.True(exited < TimeSpan.FromSeconds(5), $"the process exited after {exited.TotalSeconds:0.00} s");
        Assert.DoesNotContain("canceled", silo.StandardOutput + silo.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<int> StreamCountAsync(int debugPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{debugPort}"), Timeout = TimeSpan.FromSeconds(5) };
        var stats = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(http, "/debug/stats");
        return (int)stats!["streams"]!;
    }
}
