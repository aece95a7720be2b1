using System.Net.Http.Json;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// A scaled-out deployment as operators run it by hand: a real <c>redis-server</c>, two silos and
/// a frontend as separate processes sharing it (<c>--redis</c>), the frontend finding the silos'
/// gateways through Redis's membership. Exactly one silo reads the YAML directory; when it is
/// killed (SIGKILL), the other takes the directory over and the frontend's open streams follow.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ScaledOutTests
{
    private static readonly string[] s_fastLease = ["--Mesh:Source:LeaseDuration", "00:00:03", "--Mesh:Source:LeaseRenewInterval", "00:00:01"];

    private static string[] SourceLogging => ["--Logging:LogLevel:Mesh.Orleans.Silo.Sources.YamlDirectorySource", "Information"];

    [Fact]
    public async Task TwoSilosAndAFrontendOnRedis_OneSiloReadsTheDirectory_AndWhenItIsKilledTheOtherTakesOverAndStreamsFollow()
    {
        await using var redis = await RedisServer.StartAsync();
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        string[] silo = ["--role", "silo", "--config", config.Path, .. deployment, .. s_fastLease, .. SourceLogging];
        var first = await SiloProcess.StartAsync(silo, expectXds: false);
        await using var second = await SiloProcess.StartAsync(silo, expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend", .. deployment, "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"], expectXds: true);
        try
        {
            await using var client = AdsTestClient.Connect(frontend.XdsPort);
            await client.SendAsync(TypeUrls.Cluster);
            var served = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60));
            await client.AckAsync(served);
            Assert.Single(served.Resources);

            // Every process answers its probes: live, and ready (silos joined, the frontend holding the mesh).
            foreach (var process in new[] { first, second, frontend })
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.DebugPort}") };
                Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
                await Eventually.TrueAsync(async () => (await http.GetAsync("/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "the process is ready");
            }

            // The processes count the Orleans messages they sent over connections, by direction:
            // the silos talk to each other, the frontend only to gateways.
            var sent = new List<System.Text.Json.Nodes.JsonNode?>();
            foreach (var process in new[] { first, second, frontend })
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.DebugPort}") };
                sent.Add((await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/debug/stats"))!["orleansMessagesSent"]);
            }

            Assert.True((long?)sent[0]?["SiloToSilo"] > 0 && (long?)sent[1]?["SiloToSilo"] > 0, $"silos: {sent[0]?.ToJsonString()} {sent[1]?.ToJsonString()}");
            Assert.True((long?)sent[2]?["ClientToGateway"] > 0 && sent[2]?["SiloToSilo"] is null, $"frontend: {sent[2]?.ToJsonString()}");

            // One reader, one standing by.
            var reader = first.StandardOutput.Contains("Watching " + config.Path, StringComparison.Ordinal) ? first : second;
            var standby = ReferenceEquals(reader, first) ? second : first;
            Assert.Contains("Watching " + config.Path, reader.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("Standing by for " + config.Path, standby.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("Watching " + config.Path, standby.StandardOutput, StringComparison.Ordinal);

            await reader.KillAsync();
            config.Write("b.yaml", MeshYaml.Service("b", 7001));

            // The other silo takes the directory over and reads it whole; the open stream gets the
            // new service through the same frontend, and never an empty set on the way.
            var sizes = new List<int>();
            await Eventually.TrueAsync(
                async () =>
                {
                    var update = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60));
                    await client.AckAsync(update);
                    sizes.Add(update.Resources.Count);
                    return update.Resources.Count == 2;
                },
                TimeSpan.FromSeconds(90),
                "the open stream gets both clusters once the standing-by silo has taken over");
            Assert.DoesNotContain(0, sizes);
            Assert.Contains("Took over " + config.Path, standby.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task ARollingRestartOfBothSilos_UnderChanges_StreamsGetEveryChange_AndOneSiloReadsTheDirectory()
    {
        await using var redis = await RedisServer.StartAsync();
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        string[] silo = ["--role", "silo", "--config", config.Path, .. deployment, .. s_fastLease];
        var silos = new List<SiloProcess> { await SiloProcess.StartAsync(silo, expectXds: false), await SiloProcess.StartAsync(silo, expectXds: false) };
        try
        {
            await using var frontend = await SiloProcess.StartAsync(["--role", "frontend", .. deployment, "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"], expectXds: true);
            await using var client = AdsTestClient.Connect(frontend.XdsPort);
            await client.SendAsync(TypeUrls.Cluster);
            await client.AckAsync(await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60)));

            // Each silo in turn: SIGTERM (it exits 0), a change while it is gone, a replacement.
            for (var turn = 1; turn <= 2; turn++)
            {
                var leaving = silos[0];
                leaving.Terminate(SiloProcess.SigTerm);
                Assert.Equal(0, await leaving.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                await leaving.DisposeAsync();
                silos.RemoveAt(0);

                config.Write($"t{turn}.yaml", MeshYaml.Service($"t{turn}", 7100 + turn));
                var count = 1 + turn;
                await ReceiveClustersAsync(client, names => names.Count == count, $"the open stream gets change {turn}, made while a silo was stopped");
                silos.Add(await SiloProcess.StartAsync(silo, expectXds: false));
            }

            config.Write("t3.yaml", MeshYaml.Service("t3", 7103));
            await ReceiveClustersAsync(client, names => names.Count == 4, "the open stream gets a change made after both silos were replaced");

            // Exactly one of the two new silos reads the directory.
            var readers = 0;
            foreach (var process in silos)
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.DebugPort}") };
                var status = await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/debug/config");
                readers += status!["clusters"]!.AsArray().Count(c => (string?)c?["sourceStatus"]?["state"] == "Watching");
            }

            Assert.Equal(1, readers);
        }
        finally
        {
            foreach (var process in silos)
            {
                await process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AFrontendKilled_ItsDeltaProxyReconnectsToTheOther_AndIsSentOnlyWhatChanged()
    {
        await using var redis = await RedisServer.StartAsync();
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        config.Write("b.yaml", MeshYaml.Service("b", 7001));
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        await using var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path, .. deployment], expectXds: false);
        string[] frontend = ["--role", "frontend", .. deployment, "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"];
        var doomed = await SiloProcess.StartAsync(frontend, expectXds: true);
        await using var other = await SiloProcess.StartAsync(frontend, expectXds: true);
        Dictionary<string, string> held;
        try
        {
            await using var before = DeltaTestClient.Connect(doomed.XdsPort);
            await before.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
            var first = await before.ReceiveAsync(TimeSpan.FromSeconds(60));
            held = first.Resources.ToDictionary(r => r.Name, r => r.Version);
            Assert.Equal(2, held.Count);
            await doomed.KillAsync();
        }
        finally
        {
            await doomed.DisposeAsync();
        }

        // The proxy comes back on the other frontend with what it holds: one cluster changed meanwhile.
        config.Write("b.yaml", MeshYaml.Service("b", 7002));
        await Eventually.TrueAsync(async () => (await ServedAsync(other.XdsPort)).Contains("outbound|7002||b.default.svc.cluster.local"),
            TimeSpan.FromSeconds(30), "the other frontend serves the change");
        await using var after = DeltaTestClient.Connect(other.XdsPort);
        await after.SendAsync(TypeUrls.Cluster, subscribe: ["*"], initialVersions: held);
        var response = await after.ReceiveAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["outbound|7002||b.default.svc.cluster.local"], response.Resources.Select(r => r.Name));
        Assert.Equal(["outbound|7001||b.default.svc.cluster.local"], response.RemovedResources);

        static async Task<HashSet<string>> ServedAsync(int port)
        {
            await using var probe = DeltaTestClient.Connect(port);
            await probe.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
            return (await probe.ReceiveAsync(TimeSpan.FromSeconds(10))).Resources.Select(r => r.Name).ToHashSet();
        }
    }

    [Fact]
    public async Task AGatewayOnTheTlsPort_GetsItsCredentialFromAFrontendProcess_AndAfterThatFrontendIsKilled_FromTheOther_UnderOneRoot()
    {
        await using var redis = await RedisServer.StartAsync();
        using var config = new TempDirectory();
        var credential = Xds.Frontend.Security.GatewayCredentialServingTests.Credential("bookinfo.example");
        config.Write("secret.yaml", Xds.Frontend.Security.GatewayCredentialServingTests.TlsSecret("istio-system", "bookinfo-cert", credential));
        const string Token = "ingress-gateway-token-0123456789abcdef";
        config.Write("tokens.txt", $"{Token} istio-system istio-ingressgateway-service-account\n");
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        await using var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path, .. deployment], expectXds: false);
        string[] frontend = ["--role", "frontend", .. deployment, "--token-file", Path.Combine(config.Path, "tokens.txt")];
        var doomed = await SiloProcess.StartAsync(frontend, expectXds: true);
        await using var other = await SiloProcess.StartAsync(frontend, expectXds: true);
        using var http = new HttpClient();
        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await http.GetStringAsync($"http://127.0.0.1:{silo.DebugPort}/debug/rootca"));
        const string Node = "router~127.0.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local";
        string[] names = ["kubernetes://bookinfo-cert", "kubernetes://bookinfo-cert-cacert"];
        try
        {
            // The TLS channel checks each frontend's server certificate against the silo's root.
            using var channel = MeshTlsClient.Channel(doomed.XdsTlsPort, root, token: Token);
            await using var before = AdsTestClient.Connect(channel, Node);
            await before.SendAsync(TypeUrls.Secret, names);
            var first = AdsTestClient.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.Secret>(await before.ReceiveTypeAsync(TypeUrls.Secret, TimeSpan.FromSeconds(60)));
            Assert.Equal(names, first.Select(s => s.Name).Order(StringComparer.Ordinal));
            Assert.Equal(credential.Certificate, first.Single(s => s.Name == names[0]).TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8());
            await doomed.KillAsync();
        }
        finally
        {
            await doomed.DisposeAsync();
        }

        using var otherChannel = MeshTlsClient.Channel(other.XdsTlsPort, root, token: Token);
        await using var after = AdsTestClient.Connect(otherChannel, Node);
        await after.SendAsync(TypeUrls.Secret, names);
        var again = AdsTestClient.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.Secret>(await after.ReceiveTypeAsync(TypeUrls.Secret, TimeSpan.FromSeconds(60)));
        Assert.Equal(credential.Key, again.Single(s => s.Name == names[0]).TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8());
        Assert.Equal(credential.Ca, again.Single(s => s.Name == names[1]).ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RedisRestarted_TheMeshKeepsTakingChanges_AndWithItsDataMembershipRecovers(bool keepData)
    {
        await using var redis = await RedisServer.StartAsync(keepData);
        using var config = new TempDirectory();
        config.Write("a.yaml", MeshYaml.Service("a", 7000));
        var deployment = new[] { "--redis", redis.Address, "--service-id", "t-" + Guid.NewGuid().ToString("N")[..12] };
        await using var silo = await SiloProcess.StartAsync(["--role", "silo", "--config", config.Path, .. deployment, "--Logging:LogLevel:Mesh.Orleans.Grains", "Information"], expectXds: false);
        string[] frontend = ["--role", "frontend", .. deployment, "--Mesh:Frontend:SubscriptionRenewInterval", "00:00:01"];
        await using var first = await SiloProcess.StartAsync(frontend, expectXds: true);
        await using var client = AdsTestClient.Connect(first.XdsPort);
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60)));

        // While Redis is down, changes still reach the open stream: grains keep what they hold and
        // write it once the store answers again.
        await redis.StopAsync();
        config.Write("a.yaml", MeshYaml.Service("a", 7005));
        await ReceiveClustersAsync(client, names => names.SetEquals(["outbound|7005||a.default.svc.cluster.local"]), "the open stream gets the change made while Redis is down");
        Assert.Contains("could not write its state", silo.StandardOutput, StringComparison.Ordinal);

        // A new hostname's grain cannot activate without the store (it reads its state): the
        // cluster grain retries it, and it arrives once Redis is back, empty or with its data
        // (grains whose stored copy vanished take the store over with what they hold).
        config.Write("b.yaml", MeshYaml.Service("b", 7001));
        await Task.Delay(TimeSpan.FromSeconds(2));
        await redis.StartAgainAsync();
        await ReceiveClustersAsync(client, names => names.Count == 2, "the open stream gets the new hostname once Redis is back");
        await Eventually.TrueAsync(() => Task.FromResult(silo.StandardOutput.Contains("wrote its state again", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the grains that fell behind wrote their state once Redis answered");
        config.Write("c.yaml", MeshYaml.Service("c", 7002));
        await ReceiveClustersAsync(client, names => names.Count == 3, "the open stream gets the change made after Redis came back");
        Assert.False(silo.HasExited, $"the silo is still running: {silo.StandardError}");

        if (keepData)
        {
            // Membership recovers: a frontend started now finds the silo in Redis.
            await using var second = await SiloProcess.StartAsync(frontend, expectXds: true);
            await using var late = AdsTestClient.Connect(second.XdsPort);
            await late.SendAsync(TypeUrls.Cluster);
            Assert.Equal(3, (await late.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(60))).Resources.Count);
        }
    }

    private static async Task ReceiveClustersAsync(AdsTestClient client, Func<HashSet<string>, bool> expected, string because) =>
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    var update = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(5));
                    await client.AckAsync(update);
                    return expected(update.Resources.Select(r => Envoy.Config.Cluster.V3.Cluster.Parser.ParseFrom(r.Value).Name).ToHashSet(StringComparer.Ordinal));
                }
                catch (TimeoutException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            because);

    [Fact]
    public void AFrontendWithoutASnapshot_IsNotReady_AndIsOnceItHoldsOne()
    {
        using var services = new ServiceCollection().AddSingleton(new Mesh.Orleans.Xds.Frontend.ResourceCache(Mesh.Orleans.Grains.Interfaces.ScopeNames.Default)).BuildServiceProvider();
        var cache = services.GetRequiredService<Mesh.Orleans.Xds.Frontend.ResourceCache>();

        Assert.Equal(["the frontend holds no snapshot of the mesh yet"], Mesh.Orleans.Silo.Debug.HealthEndpoints.NotReady(services, Mesh.Orleans.Silo.MeshRole.Frontend));
        cache.Reset(new ScopeSnapshot(cache.Scope, Guid.NewGuid(), 1, []));
        Assert.Empty(Mesh.Orleans.Silo.Debug.HealthEndpoints.NotReady(services, Mesh.Orleans.Silo.MeshRole.Frontend));
    }

    [Theory]
    [InlineData("silo")]
    [InlineData("frontend")]
    public async Task RedisNotAnsweringAtStart_StopsTheProcessWithOneLineNamingIt(string role)
    {
        // Nothing listens on the port: the process cannot join, says why in one line and exits 1,
        // so its supervisor restarts it until Redis is up.
        var address = $"127.0.0.1:{TestPorts.Free()}";
        var (exitCode, _, stderr) = await SiloProcess.RunToExitAsync(["--role", role, "--redis", address, "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0"], TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);

        // What the connection said: refused, or (on a loaded machine, when no socket error was recorded in time) the timeout.
        var line = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Matches($@"^error: --redis {System.Text.RegularExpressions.Regex.Escape(address)}: Redis did not answer \((Connection refused|no connection within the timeout)\); start it first", line);
    }

    [Fact]
    public async Task ABadRedisAddress_StopsTheProcessWithOneLine()
    {
        var (exitCode, _, stderr) = await SiloProcess.RunToExitAsync(["--redis", ",,,", "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0"], TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--redis ,,,:", stderr, StringComparison.Ordinal);
    }
}
