using System.Diagnostics;
using System.Globalization;
using System.Text;
using Envoy.Config.Endpoint.V3;
using Grpc.Net.Client;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario faults</c>: a deployment on Redis (a real <c>redis-server</c>, two
/// <c>--role silo</c> processes sharing the YAML directory through the source lease, two
/// <c>--role frontend</c> processes) serving N streams (half on each frontend, half SotW, half
/// Delta) that watch one service whose EndpointSlice changes every second. The change's number is
/// written into an endpoint address, so each stream knows which change it holds. It measures the
/// steady change-to-stream latency, then, one after the other: SIGKILL of a frontend (its streams
/// reconnect to the other), a restart of Redis, a rolling restart of both silos (SIGTERM, then a
/// replacement, one by one), and SIGKILL of the silo reading the directory with its replacement. For each event: the time from the event until every stream holds the first
/// change written after it; and over the whole run, whether any stream ever went back to an older
/// change or NACKed, what the reconnecting Delta streams were re-sent, how many streams ended for
/// good, and how many silos read the directory at the end.
/// </summary>
internal static partial class FaultsScenario
{
    private const string Namespace = "faults";
    private const string Service = "churn";
    private static readonly string s_cluster = $"outbound|8080||{Service}.{Namespace}.svc.cluster.local";
    private static readonly TimeSpan s_eventTimeout = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(string[] args)
    {
        var streams = int.Parse(BenchOptions.Value(args, "--streams") ?? "1000", CultureInfo.InvariantCulture);
        var output = BenchOptions.Value(args, "--out") ?? "BENCHMARKS.md";
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        Program.Log($"faults: {streams} streams, 2 silos, 2 frontends, Redis");

        using var redis = new RedisProcess(Program.FreePort(), Directory.CreateTempSubdirectory("mesh-faults-redis-").FullName);
        return await RunDeploymentAsync(args, redis, streams, output, started, clock);
    }

    private static async Task<int> RunDeploymentAsync(string[] args, RedisProcess redis, int streams, string output, DateTime started, Stopwatch clock)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-faults-").FullName;
        var generation = 0;
        WriteChurn(directory, generation);
        string[] deployment = ["--redis", $"127.0.0.1:{redis.Port}", "--service-id", "bench-faults"];
        string[] silo = ["--role", "silo", "--config", directory, .. deployment, "--Mesh:Source:LeaseDuration", "00:00:05", "--Mesh:Source:LeaseRenewInterval", "00:00:01", "--Mesh:Source:DebounceQuiet", "00:00:00.010"];
        if (BenchOptions.Value(args, "--probe-timeout") is { } probeTimeout)
        {
            // Orleans' failure detector, faster than its default (5 s, at least 2.5 s).
            silo = [.. silo, "--Mesh:Membership:ProbeTimeout", probeTimeout, "--Mesh:Membership:MinProbeTimeout", probeTimeout];
        }

        var logs = Directory.CreateTempSubdirectory("mesh-faults-logs-").FullName;
        var silos = new List<ChildProcess> { await StartSiloAsync(silo, logs), await StartSiloAsync(silo, logs) };
        string[] frontend = ["--role", "frontend", .. deployment, "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0", "--Logging:LogLevel:Mesh.Orleans.Xds.Frontend", "Information"];
        var frontends = new List<ChildProcess>
        {
            await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll", frontend, expectXds: true, logFile: Path.Combine(logs, "frontend-a.log")),
            await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll", frontend, expectXds: true, logFile: Path.Combine(logs, "frontend-b.log")),
        };
        var channels = frontends.Select(f => GrpcChannel.ForAddress($"http://127.0.0.1:{f.XdsPort}")).ToArray();
        Program.Log($"  control-plane logs in {logs}");

        // Each stream's latest change, and the number of times one went back to an older change.
        var held = new int[streams];
        long backwards = 0;
        var sidecars = new List<Sidecar>(streams);
        for (var k = 0; k < streams; k++)
        {
            // Half on each frontend; an ended stream reconnects to the other one first, as a load balancer that dropped the dead backend sends it.
            var own = k % 2;
            var sidecar = new Sidecar(channels[own], $"faults-{k}", delta: k % 4 >= 2, [s_cluster], ownsChannel: false) { Failover = [channels[1 - own], channels[own]] };
            var index = k;
            sidecar.OnAssignment = (_, assignment, _) =>
            {
                var change = ChangeOf(assignment);
                var before = Volatile.Read(ref held[index]);
                if (change < before && Interlocked.Increment(ref backwards) == 1)
                {
                    var endpoints = string.Join(", ", assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).Take(3));
                    Program.Log($"  stream {index} went back from change {before} to {change} (endpoints {endpoints}; latest written {Volatile.Read(ref generation)})");
                }

                Volatile.Write(ref held[index], Math.Max(change, Volatile.Read(ref held[index])));
            };
            sidecar.Start();
            sidecars.Add(sidecar);
        }

        await Task.WhenAll(sidecars.Select(s => s.FirstResponse)).WaitAsync(TimeSpan.FromMinutes(2));
        Program.Log($"  {streams} streams hold change 0");

        // The churn: one change a second, for the whole run.
        var written = new Dictionary<int, long>();
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                var next = Interlocked.Increment(ref generation);
                WriteChurn(directory, next);
                lock (written)
                {
                    written[next] = Stopwatch.GetTimestamp();
                }
            }
        });

        // Steady state: per change, the time until every stream holds it.
        var steady = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var target = Volatile.Read(ref generation) + 1;
            var converged = await AllHoldAsync(held, target, s_eventTimeout);
            long at;
            lock (written)
            {
                at = written[target];
            }

            steady.Add(Stopwatch.GetElapsedTime(at, converged).TotalMilliseconds);
        }

        Program.Log($"  steady: change to all {streams} streams p50 {ChurnResult.Percentile(steady, 50):0} ms, max {steady.Max():0} ms");

        var events = new List<(string Event, double Seconds, int Change)>();
        async Task MeasureAsync(string name, Func<Task> fault)
        {
            var backwardsBefore = Interlocked.Read(ref backwards);
            await fault();
            var at = Stopwatch.GetTimestamp();
            var target = Volatile.Read(ref generation) + 1;
            try
            {
                var converged = await AllHoldAsync(held, target, s_eventTimeout);
                var seconds = Stopwatch.GetElapsedTime(at, converged).TotalSeconds;
                events.Add((name, seconds, target));
                var back = Interlocked.Read(ref backwards) - backwardsBefore;
                Program.Log($"  {name}: every stream holds change {target} {seconds:0.00} s after it{(back > 0 ? $"; {back} times a stream went back" : string.Empty)}");
            }
            catch (TimeoutException timeout)
            {
                // Reported as not converged; the run goes on to the next event.
                events.Add((name, double.PositiveInfinity, target));
                Program.Log($"  {name}: {timeout.Message}");
            }
        }

        // A frontend dies: its streams reconnect to the other, Delta ones announcing what they hold.
        var deltaOnA = sidecars.Where((s, k) => k % 2 == 0 && s.Delta).ToList();
        var resentBefore = deltaOnA.Sum(s => Interlocked.Read(ref s.ResentUnchanged));
        await MeasureAsync("SIGKILL of a frontend (its streams reconnect to the other)", async () => await frontends[0].DisposeAsync());
        frontends.RemoveAt(0);
        var reconnects = sidecars.Sum(s => Volatile.Read(ref s.Reconnects));
        var resent = deltaOnA.Sum(s => Interlocked.Read(ref s.ResentUnchanged)) - resentBefore;
        Program.Log($"  {reconnects} reconnects; the {deltaOnA.Count} Delta streams among them were re-sent {resent} resources they held");

        // Redis restarts (SIGTERM, 5 s down, started again on its append-only file).
        await MeasureAsync("Redis stopped (SIGTERM; the mesh without its store)", redis.StopAsync);
        await Task.Delay(TimeSpan.FromSeconds(5));
        await MeasureAsync("Redis started again after 5 s", () =>
        {
            redis.Start();
            return Task.CompletedTask;
        });

        // A rolling restart: each silo in turn gets SIGTERM, then a replacement joins.
        for (var turn = 1; turn <= 2; turn++)
        {
            var leaving = silos[0];
            await MeasureAsync($"rolling restart {turn}/2: SIGTERM of a silo", async () =>
            {
                leaving.Terminate();
                await leaving.WaitForExitAsync(TimeSpan.FromSeconds(30));
            });
            await leaving.DisposeAsync();
            silos.RemoveAt(0);
            await MeasureAsync($"rolling restart {turn}/2: its replacement joins", async () => silos.Add(await StartSiloAsync(silo, logs)));
        }

        // A silo dies: the one reading the directory, which the other must take over.
        var reader = await ReaderAsync(silos);
        await MeasureAsync("SIGKILL of the silo reading the directory", async () => await silos[reader].DisposeAsync());
        silos.RemoveAt(reader);
        await MeasureAsync("a replacement silo joins", async () => silos.Add(await StartSiloAsync(silo, logs)));

        await stop.CancelAsync();
        await churn.ContinueWith(_ => { }, TaskScheduler.Default);
        var readers = 0;
        foreach (var process in silos)
        {
            readers += (await process.GetJsonAsync("/debug/config"))?["clusters"]?.AsArray().Count(c => (string?)c?["sourceStatus"]?["state"] == "Watching") ?? 0;
        }

        var ended = sidecars.Count(s => s.Ended);
        var nacks = sidecars.Sum(s => Interlocked.Read(ref s.Nacks));
        if (nacks > 0)
        {
            Program.Log($"  NACKs: {nacks}, the first: {sidecars.First(s => s.FirstNack is not null).FirstNack}");
        }

        var tally = new Tally(Interlocked.Read(ref backwards), ended, readers, nacks, reconnects, deltaOnA.Count, resent);
        var report = Render(args, started, clock.Elapsed, streams, steady, events, tally);
        Console.WriteLine(report);
        if (output != "-")
        {
            var path = BenchOptions.ResolveOutput(output);
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : Report.Header;
            await File.WriteAllTextAsync(path, existing.TrimEnd() + "\n\n" + report.TrimStart());
            Program.Log($"appended to {Path.GetFullPath(path)}");
        }

        foreach (var sidecar in sidecars)
        {
            await sidecar.DisposeAsync();
        }

        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        foreach (var process in silos.Concat(frontends))
        {
            await process.DisposeAsync();
        }

        Directory.Delete(directory, recursive: true);
        return tally.Backwards == 0 && ended == 0 && readers == 1 && nacks == 0 && resent == 0 && events.All(e => double.IsFinite(e.Seconds)) ? 0 : 1;
    }

    /// <summary>Which silo holds the directory's lease (its source shows Watching).</summary>
    private static async Task<int> ReaderAsync(List<ChildProcess> silos)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            for (var i = 0; i < silos.Count; i++)
            {
                var config = await silos[i].GetJsonAsync("/debug/config");
                if (config?["clusters"]?.AsArray().Any(c => (string?)c?["sourceStatus"]?["state"] == "Watching") == true)
                {
                    return i;
                }
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("no silo reads the directory");
    }

    private static int s_silos;

    private static Task<ChildProcess> StartSiloAsync(string[] args, string logs) =>
        ChildProcess.StartAsync(
            "Mesh.Orleans.Silo.dll",
            [.. args, "--debug-port", "0", "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", Program.FreePort().ToString(CultureInfo.InvariantCulture),
                "--Logging:LogLevel:Mesh.Orleans.Silo.Sources", "Information", "--Logging:LogLevel:Mesh.Orleans.Grains", "Information"],
            expectXds: false,
            logFile: Path.Combine(logs, $"silo-{Interlocked.Increment(ref s_silos)}.log"));

    /// <summary>Waits until every stream holds change <paramref name="target"/> or a later one; returns the Stopwatch timestamp.</summary>
    private static async Task<long> AllHoldAsync(int[] held, int target, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (held.Any(h => Volatile.Read(ref h) < target))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{held.Count(h => h < target)} streams did not get change {target} within {timeout}");
            }

            await Task.Delay(5);
        }

        return Stopwatch.GetTimestamp();
    }

    /// <summary>The change number an assignment carries: its first endpoint's address is 127.B.C.7 with change (B - 1) * 250 + C.</summary>
    private static int ChangeOf(ClusterLoadAssignment assignment)
    {
        var address = assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address).FirstOrDefault(a => a.EndsWith(".7", StringComparison.Ordinal));
        if (address is null)
        {
            return -1;
        }

        var parts = address.Split('.');
        return ((int.Parse(parts[1], CultureInfo.InvariantCulture) - 1) * 250) + int.Parse(parts[2], CultureInfo.InvariantCulture);
    }

    private static void WriteChurn(string directory, int change)
    {
        var yaml = MeshFiles.Header(Service, Namespace);
        yaml.Append(CultureInfo.InvariantCulture, $"  - addresses: [\"127.{(change / 250) + 1}.{change % 250}.7\"]\n");
        for (var e = 1; e < 10; e++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - addresses: [\"127.200.{e}.1\"]\n");
        }

        MeshFiles.Replace(directory, Service, yaml.ToString());
    }

    private sealed record Tally(long Backwards, int Ended, int Readers, long Nacks, int Reconnects, int DeltaStreamsMoved, long ResentUnchanged);

    private static string Render(string[] args, DateTime started, TimeSpan elapsed, int streams, List<double> steady, List<(string Event, double Seconds, int Change)> events, Tally tally)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(invariant, $"## {started:yyyy-MM-dd HH:mm} UTC, scenario `faults`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}` ({elapsed.TotalMinutes:0.0} min)");
        text.AppendLine(invariant, $"- Deployment: `redis-server` (append-only file), two `--role silo` processes given the same `--config` directory (source lease 5 s, renewed every 1 s; debounce 10 ms), two `--role frontend` processes; Orleans' failure detector: {(BenchOptions.Value(args, "--probe-timeout") is { } probe ? $"probe timeout {probe}" : "its defaults (probe timeout 5 s, 3 missed probes)")}; all on 127.0.0.1 and the same 2 cores as the load generator.");
        text.AppendLine(invariant, $"- Load: {streams} streams (half on each frontend; half SotW, half Delta; non-Istio node ids, so the whole-mesh `default` scope and its 16 shards) watching one service's ClusterLoadAssignment; its EndpointSlice is rewritten every second with the change's number in an endpoint address. Each stream checks every resource before it ACKs (parses, asked for, has a version) and NACKs otherwise; an ended stream reconnects to the other frontend after a random 0-500 ms, a Delta one with `initial_resource_versions`.");
        text.AppendLine(invariant, $"- Events, one after the other, each measured from the event until every stream holds the first change written after it (the change rate bounds the resolution at about 1 s).");
        text.AppendLine();
        text.AppendLine("| quantity | value |");
        text.AppendLine("| --- | --- |");
        text.AppendLine(invariant, $"| steady: change to every stream, p50 / max over 10 changes | {ChurnResult.Percentile(steady, 50):0} / {steady.Max():0} ms |");
        foreach (var (name, seconds, change) in events)
        {
            var took = double.IsFinite(seconds) ? $"{seconds:0.00} s" : $"**not within {s_eventTimeout.TotalSeconds:0} s**";
            text.AppendLine(invariant, $"| {name}: every stream converged | {took} (change {change}) |");
        }

        text.AppendLine(invariant, $"| streams reconnected after the frontend died | {tally.Reconnects} |");
        text.AppendLine(invariant, $"| resources re-sent at a version the reconnecting Delta stream held ({tally.DeltaStreamsMoved} streams) | {tally.ResentUnchanged} |");
        text.AppendLine(invariant, $"| NACKs | {tally.Nacks} |");
        text.AppendLine(invariant, $"| a stream went back to an older change | {tally.Backwards} times |");
        text.AppendLine(invariant, $"| streams that ended and did not reconnect | {tally.Ended} of {streams} |");
        text.AppendLine(invariant, $"| silos reading the directory at the end | {tally.Readers} |");
        return text.ToString();
    }

}
