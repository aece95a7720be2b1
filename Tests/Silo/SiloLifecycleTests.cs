using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
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

    [Theory]
    [InlineData(SiloProcess.SigTerm)]
    [InlineData(SiloProcess.SigInt)]
    public async Task Signal_WithOpenSotwAndDeltaStreams_EndsThemWithUnavailableAndExitsZeroPromptly(int signal)
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
        silo.Terminate(signal);
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

    [Fact]
    public async Task DebugStats_OnAFrontendWhoseSiloWasKilled_AnswersPromptlyThatTheSiloIsNotConnected()
    {
        var gateway = TestPorts.Free();
        await using var silo = await SiloProcess.StartAsync(["--role", "silo"], gateway, expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend"], gateway, expectXds: true);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{frontend.DebugPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var before = await http.GetFromJsonAsync<JsonObject>("/debug/stats");
        await using var open = AdsTestClient.Connect(frontend.XdsPort);
        await open.SendAsync(TypeUrls.Cluster);
        var held = await open.ReceiveAsync();
        await open.AckAsync(held);

        await silo.KillAsync();
        var clock = Stopwatch.StartNew();
        var after = await http.GetFromJsonAsync<JsonObject>("/debug/stats");
        var took = clock.Elapsed;
        output.WriteLine($"/debug/stats answered in {took.TotalSeconds:0.00} s: {after}");

        Assert.True((bool)before!["silo"]!["connected"]!);
        Assert.False((bool)after!["silo"]!["connected"]!);
        Assert.False(string.IsNullOrEmpty((string?)after["silo"]!["error"]));
        Assert.True((long)after["rssBytes"]! > 0);
        Assert.Null(after["grainActivations"]);
        Assert.True(took < TimeSpan.FromSeconds(4), $"/debug/stats took {took.TotalSeconds:0.00} s");

        // Without its silo the frontend keeps serving what it holds: the open stream is neither
        // ended nor emptied, and a new stream gets the same clusters from the cache.
        Assert.True(await open.NothingWithinAsync(TimeSpan.FromSeconds(1)), "the open stream was sent something after the silo died");
        await using var fresh = AdsTestClient.Connect(frontend.XdsPort);
        await fresh.SendAsync(TypeUrls.Cluster);
        var served = await fresh.ReceiveAsync();
        Assert.Equal(held.VersionInfo, served.VersionInfo);
        Assert.Equal(14, served.Resources.Count); // 13 of Services, and bookinfo's egress ServiceEntry.
    }

    [Fact]
    public async Task SiloReturns_TheFrontendResubscribes_AndItsStreamsGetTheNewSilosConfiguration()
    {
        var gateway = TestPorts.Free();
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path], gateway, expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend", "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"], gateway, expectXds: true);
        await using var client = AdsTestClient.Connect(frontend.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.ReceiveAsync());

        await silo.KillAsync();
        await silo.DisposeAsync();
        config.Write("b.yaml", MeshYaml.Service("b", 7001));
        await using var second = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path], gateway, expectXds: false);

        // The frontend reconnects to the gateway, resyncs its cache from the new silo's scope,
        // and the stream that stayed open all along gets the difference; never, on the way, the
        // empty scope the new silo has before its source's first read.
        var sizes = new List<int>();
        await Eventually.TrueAsync(async () =>
        {
            var update = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60));
            await client.AckAsync(update);
            sizes.Add(update.Resources.Count);
            return update.Resources.Count == 2;
        }, TimeSpan.FromSeconds(90), "the open stream gets the new silo's two clusters");
        Assert.DoesNotContain(0, sizes);
    }

    [Fact]
    public async Task SiloReturns_ASidecarsOpenStreamKeepsItsScope_AndGetsOnlyWhatItsSidecarLetsItSee()
    {
        var gateway = TestPorts.Free();
        using var config = new TempDirectory();
        static string Service(string name, string ns) =>
            $"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  ports:\n  - {{name: http, port: 8080}}\n";
        config.Write("shop.yaml", MeshYaml.Documents(
            Service("cart", "shop"),
            "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress:\n  - hosts: [\"./*\"]\n"));
        config.Write("bank.yaml", Service("ledger", "bank"));
        var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path], gateway, expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend", "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"], gateway, expectXds: true);
        await using var client = AdsTestClient.Connect(frontend.XdsPort, "sidecar~127.1.1.1~cart-1.shop~shop.svc.cluster.local", metadata: EndToEnd.SidecarServingTests.SidecarMetadata("shop"));

        static SortedSet<string> Outbound(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
            new(AdsTestClient.Unpack<Envoy.Config.Cluster.V3.Cluster>(response).Select(c => c.Name).Where(n => n.StartsWith("outbound|", StringComparison.Ordinal)), StringComparer.Ordinal);
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));
        await client.AckAsync(first);
        Assert.Equal(["outbound|8080||cart.shop.svc.cluster.local"], Outbound(first));

        await silo.KillAsync();
        await silo.DisposeAsync();
        config.Write("shop-more.yaml", Service("web", "shop"));
        config.Write("bank-more.yaml", Service("audit", "bank"));
        await using var second = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path], gateway, expectXds: false);

        // The new silo's scope for shop is built again (its Sidecar from the new silo's source), and the
        // stream that stayed open gets shop's new service; on the way, never bank's, and never nothing.
        var seen = new List<SortedSet<string>>();
        await Eventually.TrueAsync(async () =>
        {
            var update = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60));
            await client.AckAsync(update);
            seen.Add(Outbound(update));
            return seen[^1].SetEquals(["outbound|8080||cart.shop.svc.cluster.local", "outbound|8080||web.shop.svc.cluster.local"]);
        }, TimeSpan.FromSeconds(90), "the open stream gets shop's two clusters from the new silo");
        Assert.All(seen, s => Assert.DoesNotContain(s, n => n.Contains(".bank.", StringComparison.Ordinal)));
        Assert.All(seen, s => Assert.Contains("outbound|8080||cart.shop.svc.cluster.local", s));
    }

    [Theory]
    [InlineData("--xds-port", null, "is already in use")]
    [InlineData("--xds-tls-port", null, "is already in use")]
    [InlineData("--debug-port", null, "is already in use")]
    [InlineData("--silo-port", null, "is already in use")]
    [InlineData("--gateway-port", null, "is already in use")]
    [InlineData("--config", "/no/such/mesh-config", "the directory does not exist")]
    [InlineData("--Mesh:Source:DebounceQuiet", "abc", "not a time span")]
    [InlineData("--xds-address", "not-an-address", "not an IP address")]
    [InlineData("--Mesh:Frontend:MaxConcurrentPushes", "0", "must be between")]
    [InlineData("--Mesh:Shutdown:DrainTimeout", "-00:00:01", "must be between")]
    public async Task Start_WithABadSetting_ExitsOneWithOneErrorLineNamingTheFlagAndNoStackTrace(string flag, string? value, string reason)
    {
        // A port in use: something else listens on it.
        using var busy = value is null ? new TcpListener(IPAddress.Loopback, 0) : null;
        busy?.Start();
        value ??= ((IPEndPoint)busy!.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ports = new Dictionary<string, string>
        {
            ["--xds-port"] = "0",
            ["--xds-tls-port"] = "0",
            ["--debug-port"] = "0",
            ["--silo-port"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["--gateway-port"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        ports[flag] = value;

        var (exitCode, stdout, stderr) = await SiloProcess.RunToExitAsync(ports.SelectMany(p => new[] { p.Key, p.Value }), TimeSpan.FromSeconds(60));
        output.WriteLine($"exit {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");

        Assert.Equal(1, exitCode);
        var error = Assert.Single(Lines(stderr + stdout), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith($"error: {flag} {value}: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(stderr + stdout), l => l.StartsWith("   at ", StringComparison.Ordinal));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private static async Task<int> StreamCountAsync(int debugPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{debugPort}"), Timeout = TimeSpan.FromSeconds(5) };
        var stats = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(http, "/debug/stats");
        return (int)stats!["streams"]!;
    }
}
