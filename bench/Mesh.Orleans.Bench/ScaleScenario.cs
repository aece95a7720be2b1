using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario scale</c>: what distribution costs. The same load on two deployments that share
/// one <c>redis-server</c> (each under its own service id): 1 silo + 1 frontend, and 2 silos + 2
/// frontends, all on this machine. Each deployment reads its own copy of the mesh (the churn
/// scenario's services, one YAML file); its streams (Delta, split evenly over its frontends, each
/// subscribed to every service's ClusterLoadAssignment) measure each change: the time until every
/// stream holds every moved assignment, the CPU all its processes and Redis spent, the Orleans
/// messages its processes sent over connections (silo to silo, and between silos and frontends)
/// and the bytes its frontends sent. Both deployments stay up and their changes alternate, so
/// what else the machine does weighs on both alike.
/// </summary>
internal static class ScaleScenario
{
    private const int WarmUpChanges = 5;
    private static readonly TimeSpan s_changeTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string[] args)
    {
        var services = Number(args, "--services") ?? 100;
        var endpoints = Number(args, "--endpoints") ?? 10;
        var moving = Number(args, "--moving") ?? 10;
        var streams = Number(args, "--streams") ?? 1000;
        var runs = Number(args, "--runs") ?? 3;
        var changes = Number(args, "--changes") ?? 5;
        var output = BenchOptions.Value(args, "--out") ?? "BENCHMARKS.md";
        if (moving > services || endpoints > 25 || streams < 2 || runs < 1 || changes < 1)
        {
            throw new ArgumentException("--moving must be at most --services, --endpoints at most 25, --streams at least 2, --runs and --changes at least 1.", nameof(args));
        }

        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var redis = new RedisProcess(Program.FreePort(), Directory.CreateTempSubdirectory("mesh-scale-redis-").FullName);
        var layouts = new List<Deployment>();
        try
        {
            foreach (var (silos, frontends) in new[] { (1, 1), (2, 2) })
            {
                Program.Log($"scale: starting {silos} silo(s) + {frontends} frontend(s)");
                var deployment = await Deployment.StartAsync(redis, silos, frontends, services, endpoints, moving);
                layouts.Add(deployment);
                await deployment.ConnectAsync(streams);
                Program.Log($"  {streams} streams hold {services} assignments each");
            }

            foreach (var deployment in layouts)
            {
                for (var warm = 0; warm < WarmUpChanges; warm++)
                {
                    await deployment.ChangeAsync(redis);
                }
            }

            // What the processes burn doing nothing (membership probes, timers, renewals): subtracted
            // from each change's CPU over its measuring window, so the two deployments compare on the work.
            foreach (var deployment in layouts)
            {
                await deployment.MeasureIdleAsync(TimeSpan.FromSeconds(5));
                Program.Log($"  {deployment.Name} idle: {deployment.IdleCpuPerSecond * 1000:0} ms CPU per second");
            }

            var figures = layouts.Select(_ => new List<Figures>()).ToList();
            var all = layouts.Select(_ => new List<Change>()).ToList();
            for (var run = 1; run <= runs; run++)
            {
                var measured = layouts.Select(_ => new List<Change>()).ToList();
                for (var change = 0; change < changes; change++)
                {
                    for (var i = 0; i < layouts.Count; i++)
                    {
                        measured[i].Add(await layouts[i].ChangeAsync(redis));
                    }
                }

                for (var i = 0; i < layouts.Count; i++)
                {
                    figures[i].Add(Figures.Of(measured[i], streams, layouts[i].IdleCpuPerSecond));
                    all[i].AddRange(measured[i]);
                    Program.Log($"  run {run}, {layouts[i].Name}: {figures[i][^1]}");
                }
            }

            var report = Render(args, started, clock.Elapsed, services, endpoints, moving, streams, runs, changes, layouts, all.Select((changes, i) => Figures.Of(changes, streams, layouts[i].IdleCpuPerSecond)).ToList());
            Console.WriteLine(report);
            if (output != "-")
            {
                var path = BenchOptions.ResolveOutput(output);
                var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : Report.Header;
                await File.WriteAllTextAsync(path, existing.TrimEnd() + "\n\n" + report.TrimStart());
                Program.Log($"appended to {Path.GetFullPath(path)}");
            }

            return layouts.All(l => l.Missed == 0) ? 0 : 1;
        }
        finally
        {
            foreach (var deployment in layouts)
            {
                await deployment.DisposeAsync();
            }
        }
    }

    private static int? Number(string[] args, string name) =>
        BenchOptions.Value(args, name) is { } text ? int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture) : null;

    /// <summary>One change of one deployment: each stream's latency, and what the deployment spent on it.</summary>
    private sealed record Change(List<double> Latencies, double CpuSeconds, double WindowSeconds, double RedisCpuSeconds, double SiloToSilo, double SiloFrontend, double Bytes);

    /// <summary>One run's figures, per change.</summary>
    private sealed record Figures(double P50Ms, double P99Ms, double CpuMs, double CpuAboveIdleMs, double RedisCpuMs, double SiloToSilo, double SiloFrontend, double BytesPerStream)
    {
        /// <summary>
        /// Latency percentiles over every stream of every change; the rest is the median change,
        /// so that periodic work landing in one change's window (subscription renewals, proxies'
        /// status reports, membership probes) does not count as that change's cost.
        /// </summary>
        public static Figures Of(List<Change> changes, int streams, double idleCpuPerSecond)
        {
            var latencies = changes.SelectMany(c => c.Latencies).ToList();
            double Median(Func<Change, double> value) => ChurnResult.Percentile(changes.Select(value).ToList(), 50);
            return new Figures(
                ChurnResult.Percentile(latencies, 50),
                ChurnResult.Percentile(latencies, 99),
                Median(c => c.CpuSeconds) * 1000,
                Median(c => c.CpuSeconds - (idleCpuPerSecond * c.WindowSeconds)) * 1000,
                Median(c => c.RedisCpuSeconds) * 1000,
                Median(c => c.SiloToSilo),
                Median(c => c.SiloFrontend),
                Median(c => c.Bytes) / streams);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"p50 {P50Ms:0} ms, p99 {P99Ms:0} ms, CPU {CpuMs:0} ms ({CpuAboveIdleMs:0} ms above idle; Redis {RedisCpuMs:0.0} ms), Orleans messages {SiloToSilo:0} silo-silo, {SiloFrontend:0} silo-frontend, {BytesPerStream / 1024:0.0} KB / stream");
    }

    /// <summary>One deployment: its silos and frontends (sharing Redis under their own service id), its mesh directory and its streams.</summary>
    private sealed class Deployment : IAsyncDisposable
    {
        private readonly List<ChildProcess> _silos = [];
        private readonly List<ChildProcess> _frontends = [];
        private readonly List<ChurnSidecar> _fleet = [];
        private readonly string _directory;
        private readonly int _services;
        private readonly int _endpoints;
        private readonly int _moving;
        private readonly HashSet<string> _expected;
        private int _generation;

        private Deployment(string name, string directory, int services, int endpoints, int moving)
        {
            Name = name;
            _directory = directory;
            _services = services;
            _endpoints = endpoints;
            _moving = moving;
            _expected = Enumerable.Range(0, moving).Select(MeshFiles.Cluster).ToHashSet(StringComparer.Ordinal);
        }

        public string Name { get; }

        public int Silos => _silos.Count;

        public int Frontends => _frontends.Count;

        /// <summary>CPU seconds per second the deployment's processes use with no change (see <see cref="MeasureIdleAsync"/>).</summary>
        public double IdleCpuPerSecond { get; private set; }

        /// <summary>Streams that did not get a change within the timeout, over the whole run.</summary>
        public int Missed { get; private set; }

        public static async Task<Deployment> StartAsync(RedisProcess redis, int silos, int frontends, int services, int endpoints, int moving)
        {
            var name = $"{silos} silo{(silos > 1 ? "s" : string.Empty)} + {frontends} frontend{(frontends > 1 ? "s" : string.Empty)}";
            var deployment = new Deployment(name, Directory.CreateTempSubdirectory("mesh-scale-").FullName, services, endpoints, moving);
            ChurnMesh.Write(deployment._directory, services, endpoints, moving, generation: 0);
            string[] shared = ["--redis", $"127.0.0.1:{redis.Port}", "--service-id", $"bench-scale-{silos}x{frontends}", "--debug-port", "0"];
            for (var i = 0; i < silos; i++)
            {
                deployment._silos.Add(await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                    ["--role", "silo", "--config", deployment._directory, .. shared, "--Mesh:Source:DebounceQuiet", "00:00:00.010",
                     "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", Program.FreePort().ToString(CultureInfo.InvariantCulture)],
                    expectXds: false));
            }

            for (var i = 0; i < frontends; i++)
            {
                deployment._frontends.Add(await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll", ["--role", "frontend", .. shared, "--xds-port", "0", "--xds-tls-port", "0"], expectXds: true));
            }

            return deployment;
        }

        /// <summary>Opens the streams, split evenly over the frontends, ten to an HTTP/2 connection, and waits until each holds the mesh.</summary>
        public async Task ConnectAsync(int streams) =>
            _fleet.AddRange(await ChurnFleet.ConnectAsync(_frontends.Select(f => f.XdsPort).ToList(), streams, delta: true, Enumerable.Range(0, _services).Select(MeshFiles.Cluster).ToList(), 10, "scale"));

        /// <summary>Measures the CPU the deployment's processes use over <paramref name="period"/> with no change.</summary>
        public async Task MeasureIdleAsync(TimeSpan period)
        {
            var before = await StatsAsync();
            var clock = Stopwatch.StartNew();
            await Task.Delay(period);
            var after = await StatsAsync();
            IdleCpuPerSecond = (after.Cpu - before.Cpu) / clock.Elapsed.TotalSeconds;
        }

        /// <summary>Moves the moving services' endpoints and measures the change until every stream holds it.</summary>
        public async Task<Change> ChangeAsync(RedisProcess redis)
        {
            var arrivals = ChurnFleet.Arm(_fleet, _expected);
            var before = await StatsAsync();
            var redisBefore = redis.Cpu;
            var window = Stopwatch.StartNew();
            var start = Stopwatch.GetTimestamp();
            ChurnMesh.Write(_directory, _services, _endpoints, _moving, ++_generation);
            await Task.WhenAny(arrivals.All, Task.Delay(s_changeTimeout));

            // Let the ACKs and the grains' state writes land: they are part of the change's cost.
            await Task.Delay(500);
            var after = await StatsAsync();
            var redisAfter = redis.Cpu;
            window.Stop();
            var latencies = arrivals.Disarm(start);
            if (latencies.Count < _fleet.Count)
            {
                Missed += _fleet.Count - latencies.Count;
                Program.Log($"  {Name}: only {latencies.Count} of {_fleet.Count} streams had the change within {s_changeTimeout.TotalSeconds:0} s");
            }

            await Task.Delay(200);
            return new Change(
                latencies,
                after.Cpu - before.Cpu,
                window.Elapsed.TotalSeconds,
                (redisAfter - redisBefore).TotalSeconds,
                after.SiloToSilo - before.SiloToSilo,
                after.SiloFrontend - before.SiloFrontend,
                after.Bytes - before.Bytes);
        }

        /// <summary>The deployment's totals: CPU seconds of every process, Orleans messages sent silo to silo and between silos and frontends, bytes the frontends sent.</summary>
        private async Task<(double Cpu, double SiloToSilo, double SiloFrontend, double Bytes)> StatsAsync()
        {
            var silos = await Task.WhenAll(_silos.Select(s => s.StatsAsync()));
            var frontends = await Task.WhenAll(_frontends.Select(f => f.StatsAsync()));
            static double Sent(JsonObject stats, string direction) => (double?)stats["orleansMessagesSent"]?[direction] ?? 0;
            return (
                silos.Concat(frontends).Sum(s => (double)s["cpuSeconds"]!),
                silos.Sum(s => Sent(s, "SiloToSilo")),
                silos.Sum(s => Sent(s, "GatewayToClient")) + frontends.Sum(f => Sent(f, "ClientToGateway")),
                frontends.Sum(f => (double)f["bytesSent"]!));
        }

        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(_fleet.Select(s => s.DisposeAsync().AsTask()));
            foreach (var process in _frontends.Concat(_silos))
            {
                await process.DisposeAsync();
            }

            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temporary directory.
            }
        }
    }

    private static string Render(string[] args, DateTime started, TimeSpan elapsed, int services, int endpoints, int moving, int streams, int runs, int changes, List<Deployment> layouts, List<Figures> medians)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(invariant, $"## {started:yyyy-MM-dd HH:mm} UTC, scenario `scale`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}` ({elapsed.TotalMinutes:0.0} min)");
        text.AppendLine(invariant, $"- Deployments, both up for the whole run and sharing one `redis-server` (append-only file) under their own service ids: {string.Join(" and ", layouts.Select(l => l.Name))}; every process on 127.0.0.1 and the same {Environment.ProcessorCount} cores as the load generator.");
        text.AppendLine(invariant, $"- Mesh: {services} services x {endpoints} endpoints (one YAML file per deployment); each change moves every endpoint of {moving} services (one rewrite, 10 ms debounce).");
        text.AppendLine(invariant, $"- Load: {streams} Delta streams per deployment (sidecar node ids of one namespace), split evenly over its frontends, ten to an HTTP/2 connection, each subscribed to every service's ClusterLoadAssignment.");
        text.AppendLine(invariant, $"- Per change: time until every stream holds the {moving} moved assignments; CPU of all the deployment's processes and of Redis; Orleans messages its processes sent over connections (`/debug/stats` `orleansMessagesSent`: silo to silo, and silos to frontends plus frontends to silos); bytes its frontends sent. {runs} runs of {changes} changes, the deployments' changes alternating: latencies over every stream of every change, the rest the median change (periodic work, such as subscription renewals and proxies' status reports, lands in some changes' windows and is in the idle figure instead).");
        text.AppendLine();
        text.AppendLine(invariant, $"| per change | {string.Join(" | ", layouts.Select(l => l.Name))} | ratio |");
        text.AppendLine(invariant, $"| --- | {string.Join(" | ", layouts.Select(_ => "---"))} | --- |");
        void Row(string label, Func<Figures, double> value, string format)
        {
            var values = medians.Select(value).ToList();
            var ratio = values[0] > 0 ? (values[^1] / values[0]).ToString("0.00", invariant) : "-";
            text.AppendLine(invariant, $"| {label} | {string.Join(" | ", values.Select(v => v.ToString(format, invariant)))} | {ratio} |");
        }

        Row("every stream holds it, p50 (ms)", f => f.P50Ms, "0");
        Row("every stream holds it, p99 (ms)", f => f.P99Ms, "0");
        Row("CPU, all processes (ms)", f => f.CpuMs, "0");
        Row("CPU above idle, all processes (ms)", f => f.CpuAboveIdleMs, "0");
        Row("CPU, Redis (ms; the kernel counts it in 10 ms ticks)", f => f.RedisCpuMs, "0.0");
        Row("Orleans messages silo to silo", f => f.SiloToSilo, "0");
        Row("Orleans messages between silos and frontends", f => f.SiloFrontend, "0");
        Row("bytes sent per stream (KB)", f => f.BytesPerStream / 1024, "0.0");
        text.AppendLine();
        text.AppendLine(invariant, $"- Idle CPU (5 s with no change, subtracted over each change's measuring window of about 0.8 s for the row above idle): {string.Join(", ", layouts.Select(l => $"{l.IdleCpuPerSecond * 1000:0} ms/s ({l.Name})"))}.");
        text.AppendLine(invariant, $"- Streams that missed a change: {string.Join(", ", layouts.Select(l => $"{l.Missed} ({l.Name})"))}.");
        return text.ToString();
    }

}
