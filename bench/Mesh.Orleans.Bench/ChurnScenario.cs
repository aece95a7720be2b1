using System.Diagnostics;
using System.Globalization;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario churn</c>: whether the frontend holds its ratio to the bare stack as the work
/// per change grows. Every stream subscribes (EDS) to every service's ClusterLoadAssignment.
/// Case A: every endpoint of every service moves in each change (one rewrite of one YAML file),
/// once with all-Delta streams and once with all-SotW ones. Case B: many more Delta streams, one
/// service moving. Each case has a fleet against a real control plane (a <c>--role silo</c>
/// process with the YAML source and a 10 ms debounce quiet period, and a <c>--role frontend</c>
/// process) and a fleet against <see cref="ChurnBaseline"/>, loaded with the bytes the control
/// plane sent; two unmeasured changes warm each up, then the two targets' changes alternate, and
/// every figure is the median of the runs.
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
                results.AddRange(await RunCaseAsync(options, "A", options.StreamsA, options.Services, delta));
            }
        }

        if (options.Cases.Contains("B"))
        {
            results.AddRange(await RunCaseAsync(options, "B", options.StreamsB, 1, delta: true));
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

    /// <summary>
    /// One case and protocol: the control plane's fleet and the baseline's fleet are both connected,
    /// then their changes alternate (one of the control plane, one of the baseline, ...), so that
    /// whatever else the shared machine does weighs on both alike.
    /// </summary>
    private static async Task<ChurnResult[]> RunCaseAsync(ChurnOptions options, string name, int streams, int moving, bool delta)
    {
        var cp = new ChurnResult { Case = name, Target = "control plane", Delta = delta, Streams = streams, Moving = moving };
        var bare = new ChurnResult { Case = name, Target = "bare baseline", Delta = delta, Streams = streams, Moving = moving };
        Program.Log($"case {name}: {streams} {cp.Protocol} streams, {moving} service(s) moving per change");
        var directory = Directory.CreateTempSubdirectory("mesh-churn-").FullName;
        try
        {
            ChurnMesh.Write(directory, options.Services, options.EndpointsPerService, moving, generation: 0);
            var gateway = Program.FreePort();
            await using var silo = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                ["--role", "silo", "--config", directory, "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture),
                 "--debug-port", "0", "--Mesh:Source:DebounceQuiet", "00:00:00.010"], expectXds: false);
            await using var frontend = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                ["--role", "frontend", "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0"], expectXds: true);
            await Task.Delay(1000);
            Program.Log("  control plane:");
            var cpFleet = await ConnectMeasuredAsync(frontend, streams, delta, options, cp);
            var atConnect = Snapshot(cpFleet[0], _ => true);
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

            var expected = Enumerable.Range(0, moving).Select(MeshFiles.Cluster).ToHashSet(StringComparer.Ordinal);
            var generation = 0;
            Func<Task> cpTrigger = () =>
            {
                ChurnMesh.Write(directory, options.Services, options.EndpointsPerService, moving, ++generation);
                return Task.CompletedTask;
            };
            await WarmUpAsync(cpFleet, expected, frontend, cpTrigger, cp);
            var moved = Snapshot(cpFleet[0], expected.Contains);

            Program.Log("  bare baseline:");
            await using var server = await ChildProcess.StartAsync("Mesh.Orleans.Bench.dll", ["--scenario", "churn", "--churn-baseline-server"], expectXds: true);
            await LoadAsync(server, "a", atConnect);
            await LoadAsync(server, "b", moved);
            await Task.Delay(500);
            var bareFleet = await ConnectMeasuredAsync(server, streams, delta, options, bare);
            Func<Task> bareTrigger = () => server.PostAsync("/push");
            await WarmUpAsync(bareFleet, expected, server, bareTrigger, bare);

            for (var run = 1; run <= options.Runs; run++)
            {
                var cpRun = new RunAccumulator();
                var bareRun = new RunAccumulator();
                for (var change = 0; change < options.ChangesPerRun; change++)
                {
                    cpRun.Add(await ChangeAsync(cpFleet, expected, frontend, cpTrigger, cp));
                    bareRun.Add(await ChangeAsync(bareFleet, expected, server, bareTrigger, bare));
                }

                cp.Runs.Add(cpRun.Figures(options.ChangesPerRun, streams));
                bare.Runs.Add(bareRun.Figures(options.ChangesPerRun, streams));
                Program.Log($"  run {run}: control plane {Describe(cp.Runs[^1])}; baseline {Describe(bare.Runs[^1])}");
            }

            await Task.WhenAll(cpFleet.Concat(bareFleet).Select(s => s.DisposeAsync().AsTask()));
            return [cp, bare];
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

    private static string Describe(ChurnResult.RunFigures f) =>
        string.Create(CultureInfo.InvariantCulture, $"p50 {f.P50Ms:0} ms, p99 {f.P99Ms:0} ms, CPU {f.CpuMsPerChange:0} ms, {f.BytesPerStreamPerChange / 1024:0.0} KB / stream");

    /// <summary>The assignments <paramref name="sidecar"/> holds (as the control plane sent them) whose names pass <paramref name="include"/>.</summary>
    private static List<Any> Snapshot(ChurnSidecar sidecar, Func<string, bool> include) =>
        sidecar.Captured!.Where(p => include(p.Key)).Select(p => new Any { TypeUrl = TypeUrls.ClusterLoadAssignment, Value = p.Value }).ToList();

    /// <summary>One run's changes, added up.</summary>
    private sealed class RunAccumulator
    {
        private readonly List<double> _latencies = [];
        private double _cpu;
        private double _bytes;

        public void Add((List<double> Latencies, double CpuSeconds, double Bytes) change)
        {
            _latencies.AddRange(change.Latencies);
            _cpu += change.CpuSeconds;
            _bytes += change.Bytes;
        }

        public ChurnResult.RunFigures Figures(int changes, int streams) => new(
            ChurnResult.Percentile(_latencies, 50), ChurnResult.Percentile(_latencies, 99), ChurnResult.Percentile(_latencies, 100),
            _cpu * 1000 / changes, _bytes / changes / streams);
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
        var sidecars = await ChurnFleet.ConnectAsync(
            [server.XdsPort], streams, delta, Enumerable.Range(0, options.Services).Select(MeshFiles.Cluster).ToList(), options.StreamsPerConnection, "churn",
            (k, sidecar) => sidecar.Captured = k == 0 ? new Dictionary<string, ByteString>(StringComparer.Ordinal) : null);
        result.ConnectSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(2000);
        var idle = await server.StatsAsync(collect: true);
        result.RssPerStream = Program.Delta(before, idle, "rssBytes") / streams;
        result.HeapPerStream = Program.Delta(before, idle, "managedHeapBytes") / streams;
        Program.Log($"  {streams} streams up in {result.ConnectSeconds:0.0} s; RSS {result.RssPerStream / 1024:0.0} KB, heap {result.HeapPerStream / 1024:0.0} KB per stream");
        return sidecars;
    }

    /// <summary>Unmeasured changes, so that JIT compilation and first-use costs are not counted.</summary>
    private static async Task WarmUpAsync(List<ChurnSidecar> sidecars, HashSet<string> expected, ChildProcess server, Func<Task> trigger, ChurnResult result)
    {
        for (var warm = 0; warm < WarmUpChanges; warm++)
        {
            await ChangeAsync(sidecars, expected, server, trigger, result);
        }
    }

    /// <summary>One change: every stream's time from the trigger to holding every moving assignment, the server's CPU seconds and bytes.</summary>
    private static async Task<(List<double> Latencies, double CpuSeconds, double Bytes)> ChangeAsync(List<ChurnSidecar> sidecars, HashSet<string> expected, ChildProcess server, Func<Task> trigger, ChurnResult result)
    {
        var arrivals = ChurnFleet.Arm(sidecars, expected);
        var before = await server.StatsAsync();
        var start = Stopwatch.GetTimestamp();
        await trigger();
        await Task.WhenAny(arrivals.All, Task.Delay(s_changeTimeout));

        // Let the ACKs land: their handling is part of the change's cost.
        await Task.Delay(300);
        var after = await server.StatsAsync();
        var latencies = arrivals.Disarm(start);
        if (latencies.Count < sidecars.Count)
        {
            result.Missed += sidecars.Count - latencies.Count;
            Program.Log($"  only {latencies.Count} of {sidecars.Count} streams had the change within {s_changeTimeout.TotalSeconds:0} s");
        }

        await Task.Delay(200);
        return (latencies, Program.Delta(before, after, "cpuSeconds"), Program.Delta(before, after, "bytesSent"));
    }
}
