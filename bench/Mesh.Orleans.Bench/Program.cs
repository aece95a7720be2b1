using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Net.Client;

namespace Mesh.Orleans.Bench;

/// <summary>
/// Load generator and driver: opens N simulated sidecars (real ADS streams, half SotW, half
/// Delta, each with its own node id, ACKing what it gets) against a real control plane (a
/// silo process and a stand-alone frontend process on 127.0.0.1), changes endpoints through
/// the YAML directory, and measures memory, latency, CPU, bytes and a reconnect storm; then
/// the same against a bare Kestrel server that only writes pre-serialised bytes. With
/// <c>--scenario registry</c> it runs <see cref="RegistryScenario"/> instead, with
/// <c>--scenario scoping</c> <see cref="ScopingScenario"/>.
/// </summary>
internal static class Program
{
    public static readonly string HotCluster = MeshFiles.Cluster(0);

    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--baseline-server"))
        {
            await BaselineServer.RunAsync();
            return 0;
        }

        if (BenchOptions.Value(args, "--scenario") is { } scenario && scenario != "push")
        {
            return scenario switch
            {
                "registry" => await RegistryScenario.RunAsync(RegistryOptions.Parse(args), args),
                "scoping" => await ScopingScenario.RunAsync(ScopingOptions.Parse(args), args),
                "churn" => await ChurnScenario.RunAsync(args),
                "faults" => await FaultsScenario.RunAsync(args),
                "scale" => await ScaleScenario.RunAsync(args),
                _ => throw new ArgumentException($"Unknown --scenario {scenario}: push (the default), registry, scoping, churn, faults or scale.", nameof(args)),
            };
        }

        var options = BenchOptions.Parse(args);
        var results = new List<RunResult>();
        foreach (var streams in options.StreamCounts)
        {
            results.Add(await RunControlPlaneAsync(options, streams));
            results.Add(await RunBaselineAsync(options, streams));
        }

        var report = Report.Render(options, args, results);
        Console.WriteLine(report);
        if (options.Output != "-")
        {
            var path = options.OutputPath;
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : Report.Header;
            await File.WriteAllTextAsync(path, existing.TrimEnd() + "\n\n" + report);
            Console.WriteLine($"appended to {Path.GetFullPath(path)}");
        }

        return 0;
    }

    private static async Task<RunResult> RunControlPlaneAsync(BenchOptions options, int streams)
    {
        Log($"control plane, {streams} streams: writing {options.Services} services");
        var directory = MeshFiles.Write(options.Services, options.EndpointsPerService);
        var result = new RunResult { Target = "control plane", Streams = streams };
        var gateway = FreePort();
        await using var silo = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
            ["--role", "silo", "--config", directory, "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--silo-port", FreePort().ToString(CultureInfo.InvariantCulture),
             "--debug-port", "0", "--Mesh:Source:DebounceQuiet", "00:00:00.010"], expectXds: false);
        await using var frontend = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
            ["--role", "frontend", "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0"], expectXds: true);
        await Task.Delay(1000);
        var frontendBefore = await frontend.StatsAsync(collect: true);
        var siloBefore = await silo.StatsAsync(collect: true);

        var sidecars = await ConnectAsync(frontend.XdsPort, streams, options, initial: null, result);
        await Task.Delay(2000);
        var frontendIdle = await frontend.StatsAsync(collect: true);
        var siloIdle = await silo.StatsAsync(collect: true);
        result.FrontendRssPerStream = Delta(frontendBefore, frontendIdle, "rssBytes") / streams;
        result.FrontendHeapPerStream = Delta(frontendBefore, frontendIdle, "managedHeapBytes") / streams;
        result.SiloHeapPerProxy = Delta(siloBefore, siloIdle, "managedHeapBytes") / streams;
        result.SiloRssPerProxy = Delta(siloBefore, siloIdle, "rssBytes") / streams;
        if (Environment.GetEnvironmentVariable("MESH_BENCH_HOLD_SECONDS") is { } hold)
        {
            // For profiling: keep the idle streams open while a heap dump of the frontend is taken.
            Log($"  holding {hold} s; frontend pid {frontend.Pid}, silo pid {silo.Pid}");
            await Task.Delay(TimeSpan.FromSeconds(int.Parse(hold, CultureInfo.InvariantCulture)));
        }

        // One unmeasured change first, so that JIT compilation of the push path is not counted.
        await MeasureChangeAsync(sidecars, HotCluster, new RunResult { Target = "warm-up", Streams = streams }, () =>
        {
            MeshFiles.WriteService(directory, 0, options.EndpointsPerService, 99);
            return Task.CompletedTask;
        });
        await Task.Delay(500);
        for (var change = 1; change <= options.Changes; change++)
        {
            var before = await frontend.StatsAsync();
            await MeasureChangeAsync(sidecars, HotCluster, result, () =>
            {
                MeshFiles.WriteService(directory, 0, options.EndpointsPerService, change);
                return Task.CompletedTask;
            });
            await Task.Delay(500);
            var after = await frontend.StatsAsync();
            result.CpuSecondsPerChange += Delta(before, after, "cpuSeconds") / options.Changes;
            result.DeliveriesPerChange += (double)streams / options.Changes;
            result.BytesPerChange += Delta(before, after, "bytesSent") / options.Changes;
            result.ResourcesBuiltPerChange += Delta(before, after, "resourcesBuilt") / options.Changes;
        }

        // A change to a service few sidecars watch: only its subscribers may hear of it.
        var cold = 1 + (streams % (options.Services - 1));
        var coldCluster = MeshFiles.Cluster(cold);
        var coldVersions = sidecars.ToDictionary(s => s, s => s.VersionOf(coldCluster));
        MeshFiles.WriteService(directory, cold, options.EndpointsPerService, 1);
        await Task.Delay(2000);
        result.ColdChangeSubscribers = sidecars.Count(s => s.Clusters.Contains(coldCluster));
        result.ColdChangeReceivers = sidecars.Count(s => s.VersionOf(coldCluster) != coldVersions[s]);

        // Reconnect storm: drop every stream, then reconnect all at once; Delta sidecars say what they hold.
        var held = sidecars.ToDictionary(s => s.NodeId, s => s.Versions());
        await DisposeAllAsync(sidecars);
        await WaitUntilAsync(async () => (int)(await frontend.StatsAsync())["streams"]! == 0, TimeSpan.FromSeconds(60));
        var stormBefore = await frontend.StatsAsync();
        var clock = Stopwatch.StartNew();
        sidecars = await ConnectAsync(frontend.XdsPort, streams, options, held, result: null);
        result.StormSeconds = clock.Elapsed.TotalSeconds;
        result.StormRetries = sidecars.Sum(s => s.Retries);
        result.StormBytes = Delta(stormBefore, await frontend.StatsAsync(), "bytesSent");
        await DisposeAllAsync(sidecars);
        Directory.Delete(directory, recursive: true);
        return result;
    }

    private static async Task<RunResult> RunBaselineAsync(BenchOptions options, int streams)
    {
        Log($"baseline, {streams} streams");
        var result = new RunResult { Target = "bare Kestrel baseline", Streams = streams };
        await using var server = await ChildProcess.StartAsync("Mesh.Orleans.Bench.dll", ["--baseline-server"], expectXds: true);
        await Task.Delay(500);
        var before = await server.StatsAsync(collect: true);
        var sidecars = await ConnectAsync(server.XdsPort, streams, options, initial: null, result);
        await Task.Delay(2000);
        var idle = await server.StatsAsync(collect: true);
        result.FrontendRssPerStream = Delta(before, idle, "rssBytes") / streams;
        result.FrontendHeapPerStream = Delta(before, idle, "managedHeapBytes") / streams;
        await MeasureChangeAsync(sidecars, HotCluster, new RunResult { Target = "warm-up", Streams = streams }, () => server.PostAsync("/push"));
        await Task.Delay(500);
        for (var change = 1; change <= options.Changes; change++)
        {
            var start = await server.StatsAsync();
            await MeasureChangeAsync(sidecars, HotCluster, result, () => server.PostAsync("/push"));
            await Task.Delay(500);
            result.CpuSecondsPerChange += Delta(start, await server.StatsAsync(), "cpuSeconds") / options.Changes;
            result.DeliveriesPerChange += (double)streams / options.Changes;
        }

        await DisposeAllAsync(sidecars);
        return result;
    }

    /// <summary>Triggers a change of <paramref name="hotCluster"/> and records, per sidecar, how long until it had the new version.</summary>
    internal static async Task MeasureChangeAsync(List<Sidecar> sidecars, string hotCluster, RunResult result, Func<Task> trigger)
    {
        var arrivals = new ConcurrentDictionary<Sidecar, long>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var sidecar in sidecars)
        {
            sidecar.OnChange = (s, cluster, _, at) =>
            {
                if (cluster == hotCluster && arrivals.TryAdd(s, at) && arrivals.Count == sidecars.Count)
                {
                    all.TrySetResult();
                }
            };
        }

        var start = Stopwatch.GetTimestamp();
        await trigger();
        await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        foreach (var sidecar in sidecars)
        {
            sidecar.OnChange = null;
        }

        if (arrivals.Count < sidecars.Count)
        {
            Log($"  only {arrivals.Count} of {sidecars.Count} streams saw the change within 60 s");
        }

        var latencies = arrivals.Values.Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds).ToList();
        result.LatenciesMs.AddRange(latencies);
        if (latencies.Count > 0)
        {
            // From the first stream having the change to the last: the fan-out alone, without the path to the frontend.
            result.FanOutMs.Add(latencies.Max() - latencies.Min());
        }

        Log($"  change: first {latencies.DefaultIfEmpty().Min():0} ms, last {latencies.DefaultIfEmpty().Max():0} ms");
    }

    private static async Task<List<Sidecar>> ConnectAsync(int port, int streams, BenchOptions options, Dictionary<string, Dictionary<string, string>>? initial, RunResult? result)
    {
        var clock = Stopwatch.StartNew();
        var sidecars = new List<Sidecar>(streams);
        GrpcChannel? channel = null;
        for (var k = 0; k < streams; k++)
        {
            if (k % options.StreamsPerConnection == 0)
            {
                // Each sidecar owns its channel's disposal when it is the first on it.
                channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
                });
            }

            var random = new Random(k);
            var clusters = new List<string> { HotCluster };
            while (clusters.Count < options.ClustersPerSidecar)
            {
                var cluster = MeshFiles.Cluster(1 + random.Next(options.Services - 1));
                if (!clusters.Contains(cluster))
                {
                    clusters.Add(cluster);
                }
            }

            var nodeId = $"sidecar~127.0.0.1~bench-{k}.{MeshFiles.Namespace}~{MeshFiles.Namespace}.svc.cluster.local";
            var sidecar = new Sidecar(channel!, nodeId, delta: k % 2 == 1, clusters, ownsChannel: k % options.StreamsPerConnection == 0);
            sidecar.Start(sidecar.Delta ? initial?.GetValueOrDefault(nodeId) : null);
            sidecars.Add(sidecar);
            if (k % 200 == 199)
            {
                // Open in waves, as a fleet rolling in would; the storm below opens all at once.
                if (initial is null)
                {
                    await Task.WhenAll(sidecars.Skip(k - 199).Take(200).Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(120))));
                }
            }
        }

        await Task.WhenAll(sidecars.Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(300))));
        if (result is not null)
        {
            result.ConnectSeconds = clock.Elapsed.TotalSeconds;
        }

        Log($"  {streams} streams up in {clock.Elapsed.TotalSeconds:0.0} s");
        return sidecars;
    }

    internal static async Task DisposeAllAsync(List<Sidecar> sidecars) => await Task.WhenAll(sidecars.Select(s => s.DisposeAsync().AsTask()));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    internal static double Delta(JsonObject before, JsonObject after, string key) => (double)after[key]! - (double)before[key]!;

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static void Log(string line) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
}
