using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>Renders a <c>--scenario registry</c> run as a Markdown section of BENCHMARKS.md.</summary>
internal static class RegistryReport
{
    /// <summary>The issue's targets: p99 of one change to the stream, per source.</summary>
    private static readonly Dictionary<RegistrySource, double> s_targetP99Ms = new()
    {
        [RegistrySource.Kubernetes] = 1000,
        [RegistrySource.Directory] = 1000,
        [RegistrySource.File] = 500,
    };

    public static string Render(RegistryOptions options, string[] args, IReadOnlyList<RegistryResult> results, RegistryResult? baseline)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, scenario `registry`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}`");
        text.AppendLine(invariant, $"- Registry: Services in namespace `bench`, each with one EndpointSlice of {options.EndpointsPerService} endpoints (addresses in 127.0.0.0/8, never dialled). Each run starts a fresh single control-plane process (`--role all`: silo, source and xDS) on 127.0.0.1 and opens {options.Streams} Delta streams, each subscribed to {options.ClustersPerSidecar} ClusterLoadAssignments (one hot service shared by all, the rest at random). The load generator, and in the Kubernetes run the fake API server, run in a second process on the same cores.");
        text.AppendLine("- Initial load: from starting the process to a Delta stream, opened as soon as the xDS port is printed, holding the ClusterLoadAssignment of the last listed service (the last by name) with all its endpoints. The YAML source reads its directory before it opens the port, so for it most of the load is before \"ports\".");
        text.AppendLine(invariant, $"- Change to stream: {options.Changes} changes of the hot service's EndpointSlice (one endpoint address moves) after {options.WarmUpChanges} unmeasured, 500 ms apart; from making the change at the source (the fake API server applies the object and queues the watch event; the slice's file, or the one file, is written to a hidden temporary file and renamed over) to each stream holding the new version; p50 / p99 / max over every stream and change. Silo CPU per change: the process's CPU time from before a change to 500 ms after its last stream had it.");
        text.AppendLine();
        text.AppendLine("| source | services x endpoints | input and settings | prepare s | start to ports s | initial load s | silo heap / RSS after load, MiB | streams up s | change to stream p50 / p99 / max ms | arrivals / expected | silo CPU ms / change |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            var c = r.Changes;
            text.AppendLine(invariant,
                $"| {Name(r.Source)} | {r.Services} x {r.EndpointsPerService} | {r.Settings} | {r.PrepareSeconds:0.0} | {r.PortsSeconds:0.0} | {r.LoadSeconds:0.0} | {Mib(r.HeapBytes)} / {Mib(r.RssBytes)} | {r.ConnectSeconds:0.0} | {c.Percentile(50):0} / {c.Percentile(99):0} / {c.Percentile(100):0} | {c.LatenciesMs.Count} / {r.ExpectedArrivals} | {r.CpuSecondsPerChange * 1000:0} |");
        }

        text.AppendLine();
        text.AppendLine(invariant, $"Per measured change, in order, the last stream's arrival, ms (each change gives {options.Streams} samples, more than 1 % of them all, so p99 is set by the slowest change or two):");
        text.AppendLine();
        foreach (var r in results)
        {
            text.AppendLine(invariant, $"- {Name(r.Source)}: {string.Join(", ", r.LastArrivalMs.Select(ms => ms.ToString("0", invariant)))}");
        }

        if (baseline is not null && results.FirstOrDefault(r => r.Source == RegistrySource.Kubernetes) is { } kubernetes && kubernetes.Services > baseline.Services)
        {
            var added = kubernetes.Services - baseline.Services;
            text.AppendLine();
            text.AppendLine(invariant,
                $"Silo memory per service (Kubernetes source): **{(kubernetes.HeapBytes - baseline.HeapBytes) / added / 1024:0.0} KB managed heap, {(kubernetes.RssBytes - baseline.RssBytes) / added / 1024:0.0} KB RSS**: the slope between this run ({kubernetes.Services} services: heap {Mib(kubernetes.HeapBytes)} MiB, RSS {Mib(kubernetes.RssBytes)} MiB) and a separate run with {baseline.Services} services (heap {Mib(baseline.HeapBytes)} MiB, RSS {Mib(baseline.RssBytes)} MiB, initial load {baseline.LoadSeconds:0.0} s), each after a forced full GC with the mesh loaded and only the probe stream open. RSS includes memory the GC has not returned to the system.");
        }

        text.AppendLine();
        text.AppendLine("Against the issue's targets (one EndpointSlice change to an open stream):");
        text.AppendLine();
        foreach (var r in results)
        {
            var target = s_targetP99Ms[r.Source];
            var p99 = r.Changes.Percentile(99);
            var complete = r.Changes.LatenciesMs.Count == r.ExpectedArrivals;
            var verdict = !complete ? "not met (changes did not reach every stream)" : p99 < target ? "met" : "not met";
            text.AppendLine(invariant, $"- {Name(r.Source)}, {r.Services} services: p99 {p99:0} ms against < {target:0} ms: {verdict}");
        }

        return text.ToString();
    }

    private static string Name(RegistrySource source) => source switch
    {
        RegistrySource.Kubernetes => "Kubernetes API",
        RegistrySource.Directory => "YAML directory, one file per object",
        _ => "YAML, one multi-document file",
    };

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0", CultureInfo.InvariantCulture);
}
