using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Net.Client;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;

namespace Mesh.Orleans.Bench;

/// <summary>
/// <c>--scenario registry</c>: the per-event cost of a large registry. For each source (the
/// Kubernetes API, a YAML directory with one file per object, one multi-document YAML file) it
/// loads the registry, starts a fresh single-process control plane on it, measures how long
/// until the last listed service is served, opens Delta streams, and measures changes of one
/// service's EndpointSlice from the source to every stream. For the Kubernetes source it also
/// measures the silo's memory per service.
/// </summary>
/// <remarks>
/// Memory per service is a slope between two runs of the Kubernetes source, each measured the
/// same way (forced full GC, mesh loaded, only the probe stream open): one with N services and
/// one with N/10. A run with no services would charge N with every cost that appears once any
/// service exists (code paths jitted, caches and pools grown, Orleans' grain directory), which
/// at small N is a large share of the figure.
/// </remarks>
internal static class RegistryScenario
{
    private const string MemberClusterId = "registry";

    /// <summary>How long a control plane may take to load the registry before the run is abandoned.</summary>
    private static readonly TimeSpan s_loadTimeout = TimeSpan.FromMinutes(20);

    private static readonly JsonSerializerOptions s_compact = new() { WriteIndented = false };

    public static async Task<int> RunAsync(RegistryOptions options, string[] args)
    {
        var results = new List<RegistryResult>();
        RegistryResult? baseline = null;
        foreach (var source in options.Sources)
        {
            if (source == RegistrySource.Kubernetes)
            {
                baseline = await RunSourceAsync(options, source, options.BaselineServices, measureChanges: false);
            }

            results.Add(await RunSourceAsync(options, source, options.ServicesOf(source), measureChanges: true));
        }

        var report = RegistryReport.Render(options, args, results, baseline);
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

    private static async Task<RegistryResult> RunSourceAsync(RegistryOptions options, RegistrySource source, int services, bool measureChanges)
    {
        var mesh = new RegistryMesh(services, options.EndpointsPerService);
        var what = measureChanges ? "run" : "memory baseline run";
        Program.Log($"registry, {source} {what}: {services} services x {options.EndpointsPerService} endpoints");
        var work = Directory.CreateTempSubdirectory("mesh-registry-").FullName;

        // The registry's files can be many: remove them even if the bench is ended before the finally below.
        EventHandler removeOnExit = (_, _) => TryDelete(work);
        AppDomain.CurrentDomain.ProcessExit += removeOnExit;
        FakeKubernetesApi? api = null;
        ChildProcess? silo = null;
        Sidecar? probe = null;
        var sidecars = new List<Sidecar>();
        try
        {
            var clock = Stopwatch.StartNew();
            var (siloArgs, settings) = source switch
            {
                RegistrySource.Kubernetes => await PrepareKubernetesAsync(mesh, work, created => api = created),
                RegistrySource.Directory => PrepareDirectory(mesh, work),
                _ => PrepareOneFile(mesh, work),
            };
            var result = new RegistryResult
            {
                Source = source,
                Services = services,
                EndpointsPerService = options.EndpointsPerService,
                Settings = settings,
                Changes = new RunResult { Target = source.ToString(), Streams = options.Streams },
                PrepareSeconds = clock.Elapsed.TotalSeconds,
            };
            Program.Log($"  prepared in {result.PrepareSeconds:0.0} s");

            // Initial load: from starting the process to a stream holding the last listed service.
            var start = Stopwatch.GetTimestamp();
            silo = await ChildProcess.StartAsync("Mesh.Orleans.Silo.dll",
                [.. siloArgs, "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0",
                 "--silo-port", Program.FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", Program.FreePort().ToString(CultureInfo.InvariantCulture)],
                expectXds: true, startTimeout: s_loadTimeout);
            result.PortsSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Program.Log($"  xDS port printed after {result.PortsSeconds:0.0} s; waiting for {mesh.Cluster(mesh.Last)} with {mesh.Endpoints} endpoints");
            var served = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var lastCluster = mesh.Cluster(mesh.Last);
            probe = new Sidecar(Channel(silo.XdsPort), NodeId("probe"), delta: true, [lastCluster], ownsChannel: true)
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
            var servedAt = await WaitLoggingAsync(served.Task, silo, start);
            result.LoadSeconds = Stopwatch.GetElapsedTime(start, servedAt).TotalSeconds;
            Program.Log($"  last service served {result.LoadSeconds:0.0} s after the process started");

            // Memory with the mesh loaded and only the probe open; the pause lets work that follows the load settle.
            await Task.Delay(2000);
            var loaded = await silo.StatsAsync(collect: true);
            result.HeapBytes = (double)loaded["managedHeapBytes"]!;
            result.RssBytes = (double)loaded["rssBytes"]!;
            Program.Log($"  silo heap {result.HeapBytes / (1024 * 1024):0} MiB, RSS {result.RssBytes / (1024 * 1024):0} MiB");
            if (!measureChanges)
            {
                return result;
            }

            var connect = Stopwatch.StartNew();
            for (var k = 0; k < options.Streams; k++)
            {
                var sidecar = new Sidecar(Channel(silo.XdsPort), NodeId(k.ToString(CultureInfo.InvariantCulture)), delta: true, Subscription(mesh, options, k), ownsChannel: true);
                sidecar.Start();
                sidecars.Add(sidecar);
            }

            await Task.WhenAll(sidecars.Select(s => s.FirstResponse.WaitAsync(TimeSpan.FromSeconds(300))));
            result.ConnectSeconds = connect.Elapsed.TotalSeconds;
            Program.Log($"  {options.Streams} Delta streams up in {result.ConnectSeconds:0.0} s");

            // Unmeasured changes first, so that JIT compilation of the change path is not counted.
            for (var generation = 1; generation <= options.WarmUpChanges; generation++)
            {
                await Program.MeasureChangeAsync(sidecars, mesh.Cluster(mesh.Hot), new RunResult { Target = "warm-up", Streams = options.Streams }, Change(source, mesh, work, api, generation));
                await Task.Delay(500);
            }

            if (Environment.GetEnvironmentVariable("MESH_BENCH_HOLD_SECONDS") is { } hold)
            {
                // For profiling: time to attach a tracer to the silo before the measured changes.
                Program.Log($"  holding {hold} s before the measured changes; silo pid {silo.Pid}");
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(hold, CultureInfo.InvariantCulture)));
            }

            for (var generation = options.WarmUpChanges + 1; generation <= options.WarmUpChanges + options.Changes; generation++)
            {
                var trigger = Change(source, mesh, work, api, generation);
                var before = await silo.StatsAsync();
                var seen = result.Changes.LatenciesMs.Count;
                await Program.MeasureChangeAsync(sidecars, mesh.Cluster(mesh.Hot), result.Changes, trigger);
                result.LastArrivalMs.Add(result.Changes.LatenciesMs.Skip(seen).DefaultIfEmpty(double.NaN).Max());
                await Task.Delay(500);
                result.CpuSecondsPerChange += Program.Delta(before, await silo.StatsAsync(), "cpuSeconds") / options.Changes;
            }

            result.ExpectedArrivals = options.Streams * options.Changes;
            return result;
        }
        finally
        {
            await Program.DisposeAllAsync(sidecars);
            if (probe is not null)
            {
                await probe.DisposeAsync();
            }

            if (silo is not null)
            {
                await silo.DisposeAsync();
            }

            if (api is not null)
            {
                await api.DisposeAsync();
            }

            AppDomain.CurrentDomain.ProcessExit -= removeOnExit;
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Starts the fake API server, loads it with every Service and EndpointSlice, and writes a kubeconfig and a clusters file for it.</summary>
    private static async Task<(string[] Args, string Settings)> PrepareKubernetesAsync(RegistryMesh mesh, string work, Action<FakeKubernetesApi> started)
    {
        var api = await FakeKubernetesApi.StartAsync();
        started(api);
        for (var i = 0; i < mesh.Services; i++)
        {
            api.Apply(mesh.ServiceObject(i));
            api.Apply(mesh.SliceObject(i, 0));
        }

        var kubeconfig = Path.Combine(work, "registry.kubeconfig");
        api.WriteKubeconfig(kubeconfig);
        var clusters = Path.Combine(work, "clusters.yaml");
        await File.WriteAllTextAsync(clusters, $"- id: {MemberClusterId}\n  kubeconfig: {kubeconfig}\n");
        return (["--clusters", clusters], "`--clusters` (fake API server, TLS, token); `Mesh:Kubernetes:DebounceQuiet` default (100 ms)");
    }

    private static (string[] Args, string Settings) PrepareDirectory(RegistryMesh mesh, string work)
    {
        var directory = Directory.CreateDirectory(Path.Combine(work, "mesh")).FullName;
        mesh.WriteObjectFiles(directory);
        return (["--config", directory], $"`--config DIR`, {2 * mesh.Services} files; `Mesh:Source:DebounceQuiet` default (100 ms)");
    }

    private static (string[] Args, string Settings) PrepareOneFile(RegistryMesh mesh, string work)
    {
        var directory = Directory.CreateDirectory(Path.Combine(work, "mesh")).FullName;
        var text = mesh.OneFile(hotGeneration: 0);
        File.WriteAllText(Path.Combine(directory, "mesh.yaml"), text);
        var settings = $"`--config DIR`, one file of {2 * mesh.Services} documents ({text.Length / (1024.0 * 1024):0.0} MiB); `Mesh:Source:DebounceQuiet` {RegistryOptions.FileDebounceQuiet}";
        return (["--config", directory, "--Mesh:Source:DebounceQuiet", RegistryOptions.FileDebounceQuiet], settings);
    }

    /// <summary>
    /// The change of the hot service's slice to <paramref name="generation"/> at the source. What
    /// can be made beforehand (the object, the text) is made here, so the timed trigger is only
    /// the change itself.
    /// </summary>
    private static Func<Task> Change(RegistrySource source, RegistryMesh mesh, string work, FakeKubernetesApi? api, int generation)
    {
        switch (source)
        {
            case RegistrySource.Kubernetes:
                var slice = mesh.SliceObject(mesh.Hot, generation);
                return () =>
                {
                    api!.Apply(slice);
                    return Task.CompletedTask;
                };
            case RegistrySource.Directory:
                var sliceText = mesh.SliceYaml(mesh.Hot, generation);
                return () =>
                {
                    RegistryMesh.Replace(mesh.SliceFile(Path.Combine(work, "mesh"), mesh.Hot), sliceText);
                    return Task.CompletedTask;
                };
            default:
                var fileText = mesh.OneFile(generation);
                return () =>
                {
                    RegistryMesh.Replace(Path.Combine(work, "mesh", "mesh.yaml"), fileText);
                    return Task.CompletedTask;
                };
        }
    }

    /// <summary>The hot service and, drawn with the stream's own seed, others up to the subscription's size.</summary>
    private static List<string> Subscription(RegistryMesh mesh, RegistryOptions options, int stream)
    {
        var random = new Random(stream);
        var clusters = new List<string> { mesh.Cluster(mesh.Hot) };
        while (clusters.Count < options.ClustersPerSidecar)
        {
            var cluster = mesh.Cluster(1 + random.Next(mesh.Services - 1));
            if (!clusters.Contains(cluster))
            {
                clusters.Add(cluster);
            }
        }

        return clusters;
    }

    /// <summary>Waits for the load, logging the control plane's own account of it every 15 s.</summary>
    private static async Task<long> WaitLoggingAsync(Task<long> served, ChildProcess silo, long start)
    {
        while (true)
        {
            var done = await Task.WhenAny(served, Task.Delay(TimeSpan.FromSeconds(15)));
            if (done == served)
            {
                return await served;
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed > s_loadTimeout)
            {
                throw new TimeoutException($"The control plane did not serve the last service within {s_loadTimeout.TotalMinutes:0} min.");
            }

            string account;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var rows = (await silo.GetJsonAsync("/debug/clusterz", timeout.Token))?.AsArray() ?? [];
                account = string.Join("; ", rows.Select(row =>
                    $"{row?["id"]}: connected {row?["connected"]}, objects {row?["objects"]?.ToJsonString(s_compact)}, kinds {row?["kinds"]?.ToJsonString(s_compact)}, error {row?["error"]}"));
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or JsonException)
            {
                account = "/debug/clusterz did not answer: " + exception.Message;
            }

            Program.Log($"  still loading after {elapsed.TotalSeconds:0} s; {account}");
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not remove {directory}: {exception.Message}");
        }
    }

    private static GrpcChannel Channel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
    });

    private static string NodeId(string name) => $"sidecar~127.0.0.1~registry-{name}.{RegistryMesh.Namespace}~{RegistryMesh.Namespace}.svc.cluster.local";
}
