using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>Renders a run as a Markdown section of BENCHMARKS.md.</summary>
internal static class Report
{
    public const string Header = """
        # Benchmarks

        Produced by `bench/Mesh.Orleans.Bench` (see `bench/README.md`). Each section is one run, with
        the machine, the date and the command; ratios compare figures measured in the same run.
        """;

    public static string Render(BenchOptions options, string[] args, IReadOnlyList<RunResult> results)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, profile `{options.Profile}`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}`");
        text.AppendLine(invariant, $"- Mesh: {options.Services} services x {options.EndpointsPerService} endpoints; each sidecar subscribes to {options.ClustersPerSidecar} ClusterLoadAssignments (one hot cluster shared by all, the rest random); half the sidecars SotW, half Delta; {options.StreamsPerConnection} stream(s) per HTTP/2 connection; {options.Changes} endpoint changes of the hot cluster per run, made by rewriting its YAML file (debounce quiet period 10 ms).");
        text.AppendLine("- Control plane: a `--role silo` process (silo, YAML source, grains) and a `--role frontend` process (xDS), both on 127.0.0.1; the load generator is a third process on the same 2 cores.");
        text.AppendLine();
        text.AppendLine("| N | target | connect s | frontend RSS / stream | frontend heap / stream | silo heap / ProxyGrain | change to stream p50 / p99 / max ms | fan-out (first to last stream) mean ms | server CPU ms / change | deliveries / core-s | bytes / change | resources built / change | cold change: receivers / subscribers | reconnect storm s (bytes, client retries) |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            var isBaseline = r.Target.StartsWith("bare", StringComparison.Ordinal);
            text.AppendLine(invariant,
                $"| {r.Streams} | {r.Target} | {r.ConnectSeconds:0.0} | {Kb(r.FrontendRssPerStream)} | {Kb(r.FrontendHeapPerStream)} | {(isBaseline ? "-" : Kb(r.SiloHeapPerProxy))} | {r.Percentile(50):0} / {r.Percentile(99):0} / {r.Percentile(100):0} | {r.FanOutMs.DefaultIfEmpty(double.NaN).Average():0} | {r.CpuSecondsPerChange * 1000:0} | {r.DeliveriesPerCoreSecond:0} | {(isBaseline ? "-" : r.BytesPerChange.ToString("0", invariant))} | {(isBaseline ? "-" : r.ResourcesBuiltPerChange.ToString("0.#", invariant))} | {(isBaseline ? "-" : $"{r.ColdChangeReceivers} / {r.ColdChangeSubscribers}")} | {(isBaseline ? "-" : $"{r.StormSeconds:0.0} ({r.StormBytes / 1024:0} KiB, {r.StormRetries})")} |");
        }

        text.AppendLine();
        text.AppendLine("Ratios, control plane / bare baseline, same N, same run:");
        text.AppendLine();
        foreach (var group in results.GroupBy(r => r.Streams))
        {
            var cp = group.First(r => !r.Target.StartsWith("bare", StringComparison.Ordinal));
            var bare = group.First(r => r.Target.StartsWith("bare", StringComparison.Ordinal));
            text.AppendLine(invariant,
                $"- N = {group.Key}: fan-out {cp.FanOutMs.Average() / bare.FanOutMs.Average():0.00}x, p99 latency {cp.Percentile(99) / bare.Percentile(99):0.00}x, max latency {cp.Percentile(100) / bare.Percentile(100):0.00}x, CPU per change {cp.CpuSecondsPerChange / bare.CpuSecondsPerChange:0.00}x, heap per idle stream {cp.FrontendHeapPerStream / bare.FrontendHeapPerStream:0.00}x, RSS per idle stream {cp.FrontendRssPerStream / bare.FrontendRssPerStream:0.00}x");
        }

        return text.ToString();
    }

    private static string Kb(double bytes) => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KB";

    internal static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    /// <summary>The "- Machine: ..." line every report starts with: cores, CPU, memory, OS and runtime.</summary>
    internal static string MachineLine() => string.Create(CultureInfo.InvariantCulture, $"- Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {TotalMemoryGiB():0} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");

    internal static double TotalMemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
}
