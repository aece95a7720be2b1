using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario scoping</c> (issue 9): a mesh of N namespaces x M services, each namespace with
/// a namespace-wide Sidecar limiting egress to itself and <c>shared</c>, served to a fleet of
/// simulated Envoy sidecars (CDS wildcard, then EDS) spread over the namespaces. It measures
/// silo memory per service and per scope, frontend memory per stream, bytes a proxy receives at
/// connect against the same mesh without Sidecars, which streams an EndpointSlice change reaches
/// (one ordinary namespace's, then the shared namespace's) and how fast, and how long a Sidecar
/// change takes to reach its namespace's streams.
/// </summary>
/// <remarks>
/// Two control planes, one after the other, on the same YAML directory (one file per object):
/// first the mesh without any Sidecar in one <c>--role all</c> process, measured only with a few
/// probe proxies (each would receive every cluster of the mesh); then, with the Sidecars
/// written, a <c>--role silo</c> and a <c>--role frontend</c> process, so that silo and frontend
/// memory are measured apart. The fleet connects in two stages: one sidecar per namespace (every
/// scope opens), then the rest (no new scope); the first stage's silo growth less its proxies'
/// share (from the second stage) is the scopes' cost.
/// </remarks>
internal static class ScopingScenario
{
    private static readonly TimeSpan s_loadTimeout = TimeSpan.FromMinutes(20);

    private static readonly TimeSpan s_convergeTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long streams outside a change's expected set are watched after the last expected arrival.</summary>
    private static readonly TimeSpan s_strayWindow = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(ScopingOptions options, string[] args)
    {
        var mesh = new ScopingMesh(options);
        var result = new ScopingResult();
        var work = Directory.CreateTempSubdirectory("mesh-scoping-").FullName;
        EventHandler removeOnExit = (_, _) => TryDelete(work);
        AppDomain.CurrentDomain.ProcessExit += removeOnExit;
        var logs = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mesh-scoping-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}")).FullName;
        var clock = Stopwatch.StartNew();
        try
        {
            await RunStepsAsync(options, mesh, result, work, logs);
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException or IOException or HttpRequestException or OperationCanceledException)
        {
            // What broke under the load is a finding: the report says what was measured before it.
            result.Failure = $"{exception.GetType().Name}: {exception.Message}";
            Program.Log($"  run stopped: {result.Failure}");
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= removeOnExit;
            TryDelete(work);
        }

        foreach (var log in Directory.GetFiles(logs, "*.log").Order(StringComparer.Ordinal))
        {
            result.LogEntries[Path.GetFileNameWithoutExtension(log)] = LogEntries(log);
        }

        Program.Log($"scoping run took {clock.Elapsed.TotalMinutes:0.0} min; control-plane logs kept in {logs}");
        var report = ScopingReport.Render(options, mesh, args, result, clock.Elapsed);
        Console.WriteLine(report);
        if (options.Output != "-")
        {
            var path = BenchOptions.ResolveOutput(options.Output);
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : Report.Header;
            await File.WriteAllTextAsync(path, existing.TrimEnd() + "\n\n" + report);
            Console.WriteLine($"appended to {Path.GetFullPath(path)}");
        }

        return result.Failure is null ? 0 : 1;
    }

    private static async Task RunStepsAsync(ScopingOptions options, ScopingMesh mesh, ScopingResult result, string work, string logs)
    {
        var names = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var directory = Directory.CreateDirectory(Path.Combine(work, "mesh")).FullName;
        var empty = Directory.CreateDirectory(Path.Combine(work, "empty")).FullName;
        Program.Log($"scoping: {mesh.Namespaces} namespaces x {mesh.ServicesPerNamespace} services x {mesh.Endpoints} endpoints, {options.Sidecars} sidecars");
        var prepare = Stopwatch.StartNew();
        mesh.WriteServiceFiles(directory);
        result.PrepareSeconds = prepare.Elapsed.TotalSeconds;
        Program.Log($"  wrote {2 * mesh.Services} files in {result.PrepareSeconds:0.0} s");

        // An empty silo: what a silo holds before any service, subtracted from the loaded one's.
        await using (var emptySilo = await StartSiloAsync(empty, Program.FreePort(), logFile: null))
        {
            await Task.Delay(2000);
            result.EmptySilo = Memory(await emptySilo.StatsAsync(collect: true));
            Program.Log($"  empty silo: heap {Mib(result.EmptySilo.Heap)} MiB, RSS {Mib(result.EmptySilo.Rss)} MiB");
        }

        // The same mesh without Sidecars, in one process: probes only.
        result.Begin("unscoped control plane starts");
        var unscopedStart = Stopwatch.GetTimestamp();
        await using (var unscoped = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
            ["--role", "all", "--config", directory, "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0",
             "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", Program.FreePort().ToString(CultureInfo.InvariantCulture)],
            expectXds: true, startTimeout: s_loadTimeout, logFile: Path.Combine(logs, "unscoped.log")))
        {
            result.UnscopedLoadSeconds = await WaitForLastServiceAsync(mesh, unscoped.XdsPort, unscopedStart);
            Program.Log($"  unscoped control plane serves the last service after {result.UnscopedLoadSeconds:0.0} s; connecting {options.Probes} probes");
            await ProbeAsync(unscoped.XdsPort, mesh, options, names, result.UnscopedProbes);
        }

        prepare.Restart();
        mesh.WriteSidecarFiles(directory);
        result.PrepareSeconds += prepare.Elapsed.TotalSeconds;

        // The scoped control plane: a silo process and a frontend process.
        var gateway = Program.FreePort();
        result.Begin("scoped silo starts");
        var start = Stopwatch.GetTimestamp();
        await using var silo = await StartSiloAsync(directory, gateway, Path.Combine(logs, "silo.log"));
        await using var frontend = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
            ["--role", "frontend", "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture), "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0"], expectXds: true, logFile: Path.Combine(logs, "frontend.log"));
        result.LoadSeconds = await WaitForLastServiceAsync(mesh, frontend.XdsPort, start);
        Program.Log($"  scoped control plane serves the last service after {result.LoadSeconds:0.0} s");
        await Task.Delay(2000);
        result.LoadedSilo = Memory(await silo.StatsAsync(collect: true));
        result.LoadedFrontend = Memory(await frontend.StatsAsync(collect: true));
        Program.Log($"  loaded silo: heap {Mib(result.LoadedSilo.Heap)} MiB, RSS {Mib(result.LoadedSilo.Rss)} MiB");

        var fleet = new List<ScopingSidecar>();
        try
        {
            // Stage one: a sidecar per namespace opens every scope; stage two: the rest of the fleet.
            var stageOne = Enumerable.Range(0, mesh.Namespaces).ToList();
            result.StageOneStreams = stageOne.Count;
            result.ScopesOpened = mesh.Namespaces - 1;
            result.Begin("stage one");
            result.StageOneSeconds = await ConnectAsync(frontend.XdsPort, stageOne, mesh, options, names, fleet, result);
            Program.Log($"  stage one: {stageOne.Count} streams converged in {result.StageOneSeconds:0.0} s");
            await Task.Delay(2000);
            result.ScopesSilo = Memory(await silo.StatsAsync(collect: true));
            result.ScopesFrontend = Memory(await frontend.StatsAsync(collect: true));

            var stageTwo = Enumerable.Range(mesh.Namespaces, options.Sidecars - mesh.Namespaces).ToList();
            result.StageTwoStreams = stageTwo.Count;
            result.Begin("stage two");
            result.StageTwoSeconds = await ConnectAsync(frontend.XdsPort, stageTwo, mesh, options, names, fleet, result);
            Program.Log($"  stage two: {stageTwo.Count} streams converged in {result.StageTwoSeconds:0.0} s");
            await Task.Delay(2000);
            result.FleetSilo = Memory(await silo.StatsAsync(collect: true));
            result.FleetFrontend = Memory(await frontend.StatsAsync(collect: true));
            Program.Log($"  silo heap {Mib(result.LoadedSilo.Heap)} -> {Mib(result.ScopesSilo.Heap)} -> {Mib(result.FleetSilo.Heap)} MiB; frontend heap {Mib(result.LoadedFrontend.Heap)} -> {Mib(result.ScopesFrontend.Heap)} -> {Mib(result.FleetFrontend.Heap)} MiB");
            foreach (var sidecar in fleet.Where(s => s.Converged.IsCompletedSuccessfully))
            {
                result.FleetConnect.Add((sidecar.Delta, sidecar.Namespace == ScopingMesh.SharedNamespace, sidecar.BytesAtConvergence, sidecar.ClustersAtConvergence));
            }

            // The same probes as on the unscoped control plane, then gone before the changes.
            await ProbeAsync(frontend.XdsPort, mesh, options, names, result.ScopedProbes);

            result.Begin("slice changes");
            await MeasureSliceChangesAsync(options, mesh, directory, fleet, silo, frontend, result);
            result.Begin("Sidecar change");
            await MeasureSidecarChangeAsync(mesh, directory, fleet, frontend, result);
            result.Begin("end");
        }
        finally
        {
            await Task.WhenAll(fleet.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static Task<ChildProcess> StartSiloAsync(string directory, int gateway, string? logFile) => ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
        ["--role", "silo", "--config", directory, "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture),
         "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture), "--debug-port", "0"],
        expectXds: false, startTimeout: s_loadTimeout, logFile: logFile);

    /// <summary>
    /// A process log's entries of level Warning and above (<c>[time ]warn: Category[id]</c> lines,
    /// the message on the line after), grouped by level and category.
    /// </summary>
    private static List<ScopingResult.LogEntryGroup> LogEntries(string log)
    {
        var lines = File.ReadAllLines(log);
        var entries = new List<(string Time, string Category, string Message)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var level = new[] { "warn: ", "fail: ", "crit: " }.Select(l => lines[i].IndexOf(l, StringComparison.Ordinal)).Where(at => at >= 0).DefaultIfEmpty(-1).Min();
            if (level < 0 || level > 13 || lines[i].Contains("Orleans.Runtime.Silo[100405]", StringComparison.Ordinal))
            {
                // Not an entry's first line; or Orleans' notes that ServerGC is off, which the bench turns off on purpose.
                continue;
            }

            var message = i + 1 < lines.Length ? lines[i + 1].Trim() : string.Empty;
            entries.Add((lines[i][..level].Trim(), lines[i][level..].Trim(), message.Length > 200 ? message[..200] + "..." : message));
        }

        return entries.GroupBy(e => e.Category, StringComparer.Ordinal)
            .Select(g => new ScopingResult.LogEntryGroup(g.Key, g.Count(), g.First().Time, g.Last().Time, g.First().Message))
            .OrderByDescending(g => g.Count)
            .ToList();
    }

    /// <summary>Seconds from <paramref name="start"/> to a stream (in the shared namespace) holding the last service's assignment with all its endpoints.</summary>
    private static async Task<double> WaitForLastServiceAsync(ScopingMesh mesh, int port, long start)
    {
        var lastCluster = mesh.Cluster(mesh.Shared, mesh.ServicesPerNamespace - 1);
        var served = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var probe = new Sidecar(Channel(port), $"sidecar~127.0.0.1~load-probe.{ScopingMesh.SharedNamespace}~{ScopingMesh.SharedNamespace}.svc.cluster.local", delta: true, [lastCluster], ownsChannel: true)
        {
            OnAssignment = (_, assignment, at) =>
            {
                if (assignment.ClusterName == lastCluster && assignment.Endpoints.Sum(l => l.LbEndpoints.Count) == mesh.Endpoints)
                {
                    served.TrySetResult(at);
                }
            },
        };
        probe.Start();
        var servedAt = await served.Task.WaitAsync(s_loadTimeout);
        return Stopwatch.GetElapsedTime(start, servedAt).TotalSeconds;
    }

    /// <summary>Connects the probes (in the target namespace, alternately SotW and Delta) one after another, records what each received until it converged, and closes them.</summary>
    private static async Task ProbeAsync(int port, ScopingMesh mesh, ScopingOptions options, ConcurrentDictionary<string, string> names, List<(bool Delta, long Bytes, int Clusters, double Seconds)> into)
    {
        var ns = mesh.Namespace(mesh.Target);
        for (var p = 0; p < options.Probes; p++)
        {
            var started = Stopwatch.GetTimestamp();
            await using var probe = new ScopingSidecar(Channel(port), $"sidecar~127.0.0.1~probe-{p}.{ns}~{ns}.svc.cluster.local", ns, delta: p % 2 == 1, ownsChannel: true, names);
            probe.Start();
            await probe.Converged.WaitAsync(s_convergeTimeout);
            into.Add((probe.Delta, probe.BytesAtConvergence, probe.ClustersAtConvergence, Stopwatch.GetElapsedTime(started, probe.ConvergedAt).TotalSeconds));
            Program.Log($"    probe {p} ({(probe.Delta ? "Delta" : "SotW")}): {probe.ClustersAtConvergence} clusters, {probe.BytesAtConvergence / 1024.0:0} KiB in {into[^1].Seconds:0.0} s");
        }
    }

    /// <summary>Opens the sidecars numbered <paramref name="indices"/>, in waves of 200, and waits until every one holds all its assignments; returns the seconds it took.</summary>
    private static async Task<double> ConnectAsync(int port, List<int> indices, ScopingMesh mesh, ScopingOptions options, ConcurrentDictionary<string, string> names, List<ScopingSidecar> fleet, ScopingResult result)
    {
        var clock = Stopwatch.StartNew();
        var opened = new List<ScopingSidecar>(indices.Count);
        GrpcChannel? channel = null;
        for (var i = 0; i < indices.Count; i++)
        {
            var k = indices[i];
            var first = i % options.StreamsPerConnection == 0;
            if (first)
            {
                channel = Channel(port);
            }

            var ns = mesh.Namespace(mesh.NamespaceOf(k));

            // Half of each namespace's sidecars are SotW, half Delta.
            var delta = k / mesh.Namespaces % 2 == 1;
            var sidecar = new ScopingSidecar(channel!, $"sidecar~127.0.0.1~bench-{k}.{ns}~{ns}.svc.cluster.local", ns, delta, ownsChannel: first, names);
            sidecar.Start();
            opened.Add(sidecar);
            fleet.Add(sidecar);
            if (i % 200 == 199)
            {
                await WaitConvergedAsync(opened.Skip(i - 199).Take(200), TimeSpan.FromMinutes(2), result, log: false);
                Program.Log($"    {i + 1} of {indices.Count} converged after {clock.Elapsed.TotalSeconds:0} s");
            }
        }

        await WaitConvergedAsync(opened, s_convergeTimeout, result, log: true);
        result.ConnectRetries += opened.Sum(s => s.Retries);
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task WaitConvergedAsync(IEnumerable<ScopingSidecar> sidecars, TimeSpan timeout, ScopingResult result, bool log)
    {
        var list = sidecars.ToList();
        try
        {
            await Task.WhenAll(list.Select(s => s.Converged)).WaitAsync(timeout);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException or Grpc.Core.RpcException or IOException or InvalidOperationException)
        {
            var stuck = list.Count(s => !s.Converged.IsCompletedSuccessfully);
            if (log)
            {
                result.Unconverged += stuck;
            }

            Program.Log($"    {stuck} of {list.Count} streams did not converge: {exception.Message}");
            if (stuck == list.Count)
            {
                throw new TimeoutException($"No stream of {list.Count} converged within {timeout.TotalMinutes:0} min ({exception.Message}).", exception);
            }
        }
    }

    private static async Task MeasureSliceChangesAsync(ScopingOptions options, ScopingMesh mesh, string directory, List<ScopingSidecar> fleet, ChildProcess silo, ChildProcess frontend, ScopingResult result)
    {
        var generation = 0;

        // Unmeasured changes first (an ordinary namespace's, the shared one's), so that JIT compilation of the change path is not counted.
        foreach (var (ns, service) in new[] { (mesh.WarmUp, 0), (mesh.Shared, 1) })
        {
            var expected = ExpectedFor(mesh, fleet, ns);
            await MeasureOneAsync(mesh, fleet, expected, ns, service, ++generation, directory, silo, frontend, new ScopingResult.ChangeResult { Cluster = mesh.Cluster(ns, service), Expected = expected.Count });
            await Task.Delay(1000);
        }

        foreach (var (ns, service, shared) in new[] { (mesh.Target, 0, false), (mesh.Shared, 0, true) })
        {
            var expected = ExpectedFor(mesh, fleet, ns);
            var change = new ScopingResult.ChangeResult { Cluster = mesh.Cluster(ns, service), Expected = expected.Count };
            for (var c = 0; c < options.Changes; c++)
            {
                await MeasureOneAsync(mesh, fleet, expected, ns, service, ++generation, directory, silo, frontend, change);
                await Task.Delay(1000);
            }

            if (shared)
            {
                result.SharedChange = change;
            }
            else
            {
                result.NamespaceChange = change;
            }
        }
    }

    /// <summary>The streams that import <paramref name="ns"/>: its own, or every one for the shared namespace.</summary>
    private static HashSet<ScopingSidecar> ExpectedFor(ScopingMesh mesh, List<ScopingSidecar> fleet, int ns) =>
        ns == mesh.Shared ? [.. fleet] : [.. fleet.Where(s => s.Namespace == mesh.Namespace(ns))];

    private static async Task MeasureOneAsync(ScopingMesh mesh, List<ScopingSidecar> fleet, HashSet<ScopingSidecar> expected, int ns, int service, int generation, string directory, ChildProcess silo, ChildProcess frontend, ScopingResult.ChangeResult change)
    {
        var cluster = mesh.Cluster(ns, service);
        var text = mesh.SliceYaml(ns, service, generation);
        var arrivals = new ConcurrentDictionary<ScopingSidecar, long>();
        var outsideArrivals = new ConcurrentDictionary<ScopingSidecar, bool>();
        var outsideResponses = new ConcurrentDictionary<ScopingSidecar, bool>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var sidecar in fleet)
        {
            var isExpected = expected.Contains(sidecar);
            sidecar.OnUpdate = (s, typeUrl, changed, at) =>
            {
                if (!isExpected)
                {
                    outsideResponses.TryAdd(s, true);
                    if (typeUrl == TypeUrls.ClusterLoadAssignment && changed.Contains(cluster))
                    {
                        outsideArrivals.TryAdd(s, true);
                    }
                }
                else if (typeUrl == TypeUrls.ClusterLoadAssignment && changed.Contains(cluster) && arrivals.TryAdd(s, at) && arrivals.Count == expected.Count)
                {
                    all.TrySetResult();
                }
            };
        }

        var versionsBefore = expected.ToDictionary(s => s, s => s.VersionOf(cluster));
        var siloBefore = await silo.StatsAsync();
        var frontendBefore = await frontend.StatsAsync();
        var triggeredAt = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        RegistryMesh.Replace(mesh.SliceFile(directory, ns, service), text);
        await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        await Task.Delay(s_strayWindow);
        foreach (var sidecar in fleet)
        {
            sidecar.OnUpdate = null;
        }

        var siloAfter = await silo.StatsAsync();
        var frontendAfter = await frontend.StatsAsync();
        var latencies = arrivals.Values.Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds).ToList();
        change.Latencies.LatenciesMs.AddRange(latencies);
        change.Missing += expected.Count - arrivals.Count;
        var missing = expected.Where(s => !arrivals.ContainsKey(s)).ToList();
        if (missing.Count > 0)
        {
            // Which streams: one namespace's (a scope), or one connection's, tells where it was lost.
            var stillOld = missing.Count(s => s.VersionOf(cluster) == versionsBefore[s]);
            var detail = string.Join(", ", missing.GroupBy(s => s.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"`{g.Key}` {g.Count()} ({g.Count(s => !s.Delta)} SotW, {g.Count(s => s.Delta)} Delta)"));
            var served = await FreshProbeAsync(frontend.XdsPort, missing[0].Namespace, cluster, arrivals.Keys.FirstOrDefault(s => !s.Delta)?.VersionOf(cluster));
            change.MissingDetail.Add($"change g{generation} at {triggeredAt:HH:mm:ss}: {missing.Count} streams, {stillOld} of them still holding the version from before the change: {detail}; {served}");
            Program.Log($"    missing: {change.MissingDetail[^1]}");
        }

        change.OutsideReceivers += outsideArrivals.Count;
        change.OutsideResponses += outsideResponses.Count;
        change.Changes++;
        change.FrontendBytesPerChange += (Program.Delta(frontendBefore, frontendAfter, "bytesSent") - change.FrontendBytesPerChange) / change.Changes;
        change.FrontendCpuMsPerChange += ((1000 * Program.Delta(frontendBefore, frontendAfter, "cpuSeconds")) - change.FrontendCpuMsPerChange) / change.Changes;
        change.SiloCpuMsPerChange += ((1000 * Program.Delta(siloBefore, siloAfter, "cpuSeconds")) - change.SiloCpuMsPerChange) / change.Changes;
        Program.Log($"  {cluster} g{generation}: {arrivals.Count} of {expected.Count} expected streams in {latencies.DefaultIfEmpty(double.NaN).Min():0}..{latencies.DefaultIfEmpty(double.NaN).Max():0} ms; outside: {outsideArrivals.Count} received it, {outsideResponses.Count} received something");
    }

    /// <summary>
    /// After a change missed streams of <paramref name="ns"/>: what a new SotW stream of that
    /// namespace is served (the frontend's cache of the scope) against <paramref name="expectedVersion"/>,
    /// the version SotW streams that had the change hold.
    /// </summary>
    private static async Task<string> FreshProbeAsync(int port, string ns, string cluster, string? expectedVersion)
    {
        try
        {
            await using var probe = new ScopingSidecar(Channel(port), $"sidecar~127.0.0.1~fresh-probe.{ns}~{ns}.svc.cluster.local", ns, delta: false, ownsChannel: true, new ConcurrentDictionary<string, string>(StringComparer.Ordinal));
            probe.Start();
            await probe.Converged.WaitAsync(TimeSpan.FromSeconds(30));
            var version = probe.VersionOf(cluster);
            return expectedVersion is null ? "no SotW stream had the change to compare a fresh probe with"
                : version == expectedVersion ? $"a new SotW stream in `{ns}` is served the new version (the scope's cache has it; its open streams were not sent it)"
                : $"a new SotW stream in `{ns}` is served another version than the streams that had the change (the scope's cache lacks it)";
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException or Grpc.Core.RpcException or IOException or InvalidOperationException)
        {
            return $"a new SotW stream in `{ns}` did not converge ({exception.Message})";
        }
    }

    private static async Task MeasureSidecarChangeAsync(ScopingMesh mesh, string directory, List<ScopingSidecar> fleet, ChildProcess frontend, ScopingResult result)
    {
        var expected = ExpectedFor(mesh, fleet, mesh.Target);
        var added = mesh.Clusters(mesh.Neighbour);
        var change = new ScopingResult.SidecarChangeResult { Expected = expected.Count, AddedClusters = added.Count };
        var clustersAt = new ConcurrentDictionary<ScopingSidecar, long>();
        var assignmentsAt = new ConcurrentDictionary<ScopingSidecar, long>();
        var outside = new ConcurrentDictionary<ScopingSidecar, bool>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var sidecar in fleet)
        {
            var isExpected = expected.Contains(sidecar);
            sidecar.OnUpdate = (s, _, _, at) =>
            {
                if (!isExpected)
                {
                    outside.TryAdd(s, true);
                    return;
                }

                if (!clustersAt.ContainsKey(s) && s.HasClusters(added))
                {
                    clustersAt.TryAdd(s, at);
                }

                if (!assignmentsAt.ContainsKey(s) && s.HoldsAssignments(added) && assignmentsAt.TryAdd(s, at) && assignmentsAt.Count == expected.Count)
                {
                    all.TrySetResult();
                }
            };
        }

        var frontendBefore = await frontend.StatsAsync();
        var text = mesh.SidecarYaml(mesh.Target, mesh.Neighbour);
        var start = Stopwatch.GetTimestamp();
        RegistryMesh.Replace(mesh.SidecarFile(directory, mesh.Target), text);
        await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(120)));
        await Task.Delay(s_strayWindow);
        foreach (var sidecar in fleet)
        {
            sidecar.OnUpdate = null;
        }

        change.FrontendBytes = Program.Delta(frontendBefore, await frontend.StatsAsync(), "bytesSent");
        change.ClustersMs.LatenciesMs.AddRange(clustersAt.Values.Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds));
        change.AssignmentsMs.LatenciesMs.AddRange(assignmentsAt.Values.Select(at => Stopwatch.GetElapsedTime(start, at).TotalMilliseconds));
        change.Missing = expected.Count - assignmentsAt.Count;
        change.OutsideResponses = outside.Count;
        result.SidecarChange = change;
        Program.Log($"  Sidecar change: {clustersAt.Count} / {assignmentsAt.Count} of {expected.Count} streams have the added clusters / their assignments, last after {change.AssignmentsMs.Percentile(100):0} ms; {outside.Count} other streams received something");
    }

    private static (double Heap, double Rss) Memory(JsonObject stats) => ((double)stats["managedHeapBytes"]!, (double)stats["rssBytes"]!);

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>A channel of its own HTTP/2 connection, with no limit on a response's size (an unscoped proxy's CDS is tens of MiB).</summary>
    private static GrpcChannel Channel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
    {
        MaxReceiveMessageSize = null,
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
    });

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not remove {directory}: {exception.Message}");
        }
    }
}
