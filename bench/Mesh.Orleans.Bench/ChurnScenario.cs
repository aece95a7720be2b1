using System.Diagnostics;
using System.Globalization;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario churn</c>: whether the frontend holds its ratio to the bare stack as the work
/// per change grows. Every stream subscribes (EDS) to every service's ClusterLoadAssignment.
/// Case A: every endpoint of every service moves in each change (one rewrite of one YAML file),
/// once with all-Delta streams and once with all-SotW ones. Case B: many more Delta streams, one
/// service moving. Each fleet runs against a real control plane (a <c>--role silo</c> process
/// with the YAML source and a 10 ms debounce quiet period, and a <c>--role frontend</c>
/// process) and then against <see cref="ChurnBaseline"/>, loaded with the bytes the control plane
/// sent; two unmeasured changes warm each up, then every figure is the median of the runs.
/// </summary>
internal static class ChurnScenario
{
    private const int WarmUpChanges = 2;

    private static readonly TimeSpan s_changeTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--churn-baseline-server"))
        {
            await ChurnBaseline.RunAsync();
            return 0;
        }

        var options = ChurnOptions.Parse(args);
        var results = new List<ChurnResult>();
        if (options.Cases.Contains("A"))
        {
            foreach (var delta in new[] { true, false })
            {
                var (controlPlane, captured) = await RunControlPlaneAsync(options, "A", options.StreamsA, options.Services, delta);
                results.Add(controlPlane);
                results.Add(await RunBaselineAsync(options, "A", options.StreamsA, options.Services, delta, captured));
            }
        }

        if (options.Cases.Contains("B"))
        {
            var (controlPlane, captured) = await RunControlPlaneAsync(options, "B", options.StreamsB, 1, delta: true);
            results.Add(controlPlane);
            results.Add(await RunBaselineAsync(options, "B", options.StreamsB, 1, delta: true, captured));
        }

        var report = ChurnReport.Render(options, args, results);
        Console.WriteLine(report);
        if (options.Output != "-")
        {
            var path = BenchOptions.ResolveOutput(options.Output);
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : Report.Header;
            await File.WriteAllTextAsync(path, existing.TrimEnd() + "\n\n" + report);
            Console.WriteLine($"appended to {Path.GetFullPath(path)}");
        }

        return 0;
    }

    /// <summary>The assignments as the control plane sent them: every one at connect, and the moving ones after the last change.</summary>
    private sealed record Captured(List<Any> AtConnect, List<Any> Moved);

    private static async Task<(ChurnResult Result, Captured Captured)> RunControlPlaneAsync(ChurnOptions options, string name, int streams, int moving, bool delta)
    {
        var result = new ChurnResult { Case = name, Target = "control plane", Delta = delta, Streams = streams, Moving = moving };
        Program.Log($"case {name}, control plane, {streams} {result.Protocol} streams, {moving} service(s) moving per change");
        var directory = Directory.CreateTempSubdirectory("mesh-churn-").FullName;
        try
        {
            ChurnMesh.Write(directory, options.Services, options.EndpointsPerService, moving, generation: 0);
            var gateway = Program.FreePort();
            await using var silo = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                ["--role", "silo", "--config", directory, "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture),
                 "--debug-port", "0", "--Mesh:Source:DebounceQuiet", "00:00:00.010"], expectXds: false);
            await using var frontend = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                ["--role", "frontend", "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--xds-port", "0", "--debug-port", "0"], expectXds: true);
            await Task.Delay(1000);
            var sidecars = await ConnectMeasuredAsync(frontend, streams, delta, options, result);
            var atConnect = sidecars[0].Captured!.Values.Select(v => new Any { TypeUrl = TypeUrls.ClusterLoadAssignment, Value = v }).ToList();
            if (atConnect.Count != options.Services)
            {
                Program.Log($"  the first stream holds {atConnect.Count} of {options.Services} assignments");
            }

            if (Environment.GetEnvironmentVariable("MESH_BENCH_HOLD_SECONDS") is { } hold)
            {
                // For profiling: time to attach dotnet-trace or dotnet-counters to the frontend before the changes.
                Program.Log($"  holding {hold} s; frontend pid {frontend.Pid}, silo pid {silo.Pid}");
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(hold, CultureInfo.InvariantCulture)));
            }

            var generation = 0;
            await MeasureAsync(sidecars, moving, frontend, options, result, () =>
            {
                ChurnMesh.Write(directory, options.Services, options.EndpointsPerService, moving, ++generation);
                return Task.CompletedTask;
            });
            var movingNames = Enumerable.Range(0, moving).Select(MeshFiles.Cluster).ToHashSet(StringComparer.Ordinal);
            var moved = sidecars[0].Captured!.Where(p => movingNames.Contains(p.Key)).Select(p => new Any { TypeUrl = TypeUrls.ClusterLoadAssignment, Value = p.Value }).ToList();
            await Task.WhenAll(sidecars.Select(s => s.DisposeAsync().AsTask()));
            return (result, new Captured(atConnect, moved));
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temporary directory.
            }
        }
    }

    private static async Task<ChurnResult> RunBaselineAsync(ChurnOptions options, string name, int streams, int moving, bool delta, Captured captured)
    {
        var result = new ChurnResult { Case = name, Target = "bare baseline", Delta = delta, Streams = streams, Moving = moving };
        Program.Log($"case {name}, bare baseline, {streams} {result.Protocol} streams");
        await using var server = await ChildProcess.StartAsync("Mesh.Orleans.Bench.dll", ["--scenario", "churn", "--churn-baseline-server"], expectXds: true);
        await LoadAsync(server, "a", captured.AtConnect);
        await LoadAsync(server, "b", captured.Moved);
        await Task.Delay(500);
        var sidecars = await ConnectMeasuredAsync(server, streams, delta, options, result);
        await MeasureAsync(sidecars, moving, server, options, result, () => server.PostAsync("/push"));
        await Task.WhenAll(sidecars.Select(s => s.DisposeAsync().AsTask()));
        return result;
    }

    private static async Task LoadAsync(ChildProcess server, string set, List<Any> resources)
    {
        var response = new DiscoveryResponse { TypeUrl = TypeUrls.ClusterLoadAssignment };
        response.Resources.AddRange(resources);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.DebugPort}") };
        using var content = new ByteArrayContent(response.ToByteArray());
        (await http.PostAsync($"/load?set={set}", content)).EnsureSuccessStatusCode();
    }

    /// <summary>Connects the fleet and measures the server's RSS and heap per idle stream (after a full GC each side).</summary>
    private static async Task<List<ChurnSidecar>> ConnectMeasuredAsync(ChildProcess server, int streams, bool delta, ChurnOptions options, ChurnResult result)
    {
        var before = await server.StatsAsync(collect: true);
        var clock = Stopwatch.StartNew();
        var sidecars = await ConnectAsync(server.XdsPort, streams, delta, options);
        result.ConnectSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(2000);
        var idle = await server.StatsAsync(collect: true);
        result.RssPerStream = Program.Delta(before, idle, "rssBytes") / streams;
        result.HeapPerStream = Program.Delta(before, idle, "managedHeapBytes") / streams;
        Program.Log($"  {streams} streams up in {result.ConnectSeconds:0.0} s; RSS {result.RssPerStream / 1024:0.0} KB, heap {result.HeapPerStream / 1024:0.0} KB per stream");
        return sidecars;
    }

    private static async Task<List<ChurnSidecar>> ConnectAsync(int port, int streams, bool delta, ChurnOptions options)
    {
        var clusters = Enumerable.Range(0, options.Services).Select(MeshFiles.Cluster).ToList();
        var sidecars = new List<ChurnSidecar>(streams);
        GrpcChannel? channel = null;
        for (var k = 0; k < streams; k++)
        {
            if (k % options.StreamsPerConnection == 0)
            {
                channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = null,
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
                });
            }

            var nodeId = $"sidecar~127.0.0.1~churn-{k}.{MeshFiles.Namespace}~{MeshFiles.Namespace}.svc.cluster.local";
            var sidecar = new ChurnSidecar(channel!, nodeId, delta, clusters, ownsChannel: k % options.StreamsPerConnection == 0);
            if (k == 0)
            {
                sidecar.Captured = new Dictionary<string, ByteString>(StringComparer.Ordinal);
            }

            sidecar.Start();
            sidecars.Add(sidecar);
            if (k % 200 == 199)
            {
                // Open in waves, as a fleet rolling in would.
                await Task.WhenAll(sidecars.Skip(k - 199).Take(200).Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(120))));
            }
        }

        await Task.WhenAll(sidecars.Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(300))));
        return sidecars;
    }

    /// <summary>Warms up, then measures <see cref="ChurnOptions.Runs"/> runs of <see cref="ChurnOptions.ChangesPerRun"/> changes each.</summary>
    private static async Task MeasureAsync(List<ChurnSidecar> sidecars, int moving, ChildProcess server, ChurnOptions options, ChurnResult result, Func<Task> trigger)
    {
        var expected = Enumerable.Range(0, moving).Select(MeshFiles.Cluster).ToHashSet(StringComparer.Ordinal);
        for (var warm = 0; warm < WarmUpChanges; warm++)
        {
            await ChangeAsync(sidecars, expected, server, trigger, result);
        }

        for (var run = 1; run <= options.Runs; run++)
        {
            var latencies = new List<double>();
            double cpu = 0, bytes = 0;
            for (var change = 0; change < options.ChangesPerRun; change++)
            {
                var (changeLatencies, changeCpu, changeBytes) = await ChangeAsync(sidecars, expected, server, trigger, result);
                latencies.AddRange(changeLatencies);
                cpu += changeCpu;
                bytes += changeBytes;
            }

            var figures = new ChurnResult.RunFigures(
                ChurnResult.Percentile(latencies, 50), ChurnResult.Percentile(latencies, 99), ChurnResult.Percentile(latencies, 100),
                cpu * 1000 / options.ChangesPerRun, bytes / options.ChangesPerRun / sidecars.Count);
            result.Runs.Add(figures);
            Program.Log($"  run {run}: p50 {figures.P50Ms:0} ms, p99 {figures.P99Ms:0} ms, max {figures.MaxMs:0} ms, CPU {figures.CpuMsPerChange:0} ms / change, {figures.BytesPerStreamPerChange / 1024:0.0} KB / stream / change");
        }
    }

    /// <summary>One change: every stream's time from the trigger to holding every moving assignment, the server's CPU seconds and bytes.</summary>
    private static async Task<(List<double> Latencies, double CpuSeconds, double Bytes)> ChangeAsync(List<ChurnSidecar> sidecars, HashSet<string> expected, ChildProcess server, Func<Task> trigger, ChurnResult result)
    {
        var arrivals = new long[sidecars.Count];
        var remaining = sidecars.Count;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < sidecars.Count; i++)
        {
            var index = i;
            sidecars[i].Arm(expected, at =>
            {
                arrivals[index] = at;
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    all.TrySetResult();
                }
            });
        }

        var before = await server.StatsAsync();
        var start = Stopwatch.GetTimestamp();
        await trigger();
        await Task.WhenAny(all.Task, Task.Delay(s_changeTimeout));

        // Let the ACKs land: their handling is part of the change's cost.
        await Task.Delay(300);
        var after = await server.StatsAsync();
        foreach (var sidecar in sidecars)
        {
            sidecar.Disarm();
        }

        var latencies = arrivals.Where(at => at != 0).Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds).ToList();
        if (latencies.Count < sidecars.Count)
        {
            result.Missed += sidecars.Count - latencies.Count;
            Program.Log($"  only {latencies.Count} of {sidecars.Count} streams had the change within {s_changeTimeout.TotalSeconds:0} s");
        }

        await Task.Delay(200);
        return (latencies, Program.Delta(before, after, "cpuSeconds"), Program.Delta(before, after, "bytesSent"));
    }
}
