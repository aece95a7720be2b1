using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>Renders a <c>--scenario churn</c> run as a Markdown section of BENCHMARKS.md.</summary>
internal static class ChurnReport
{
    public static string Render(ChurnOptions options, string[] args, IReadOnlyList<ChurnResult> results)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, scenario `churn`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}`");
        text.AppendLine(invariant, $"- Mesh: {options.Services} services x {options.EndpointsPerService} endpoints in one multi-document YAML file; every stream subscribes (EDS) to all {options.Services} ClusterLoadAssignments; a change rewrites the file once, moving every endpoint of the moving services (debounce quiet period 10 ms). Case A: {options.StreamsA} streams, every service moving, all-Delta then all-SotW. Case B: {options.StreamsB} Delta streams, one service moving. {options.StreamsPerConnection} streams per HTTP/2 connection.");
        text.AppendLine(invariant, $"- Each case and protocol: a control plane (`--role silo` + `--role frontend`, 127.0.0.1) and the bare Kestrel baseline loaded with the bytes the control plane sent, each with its own fleet, both connected; 2 unmeasured changes each, then {options.Runs} runs of {options.ChangesPerRun} changes, the two targets' changes alternating (so the shared machine's other load weighs on both alike); figures are medians over the runs (a run's p50/p99/max is over all its changes and streams). Latency: from the trigger (file rewrite, or the baseline's `POST /push`) to a stream holding every moving assignment. CPU: the serving process over a change, ACKs included. Memory: after a full GC, per idle stream.");
        text.AppendLine();
        text.AppendLine("| case | streams | protocol | target | connect s | RSS / stream | heap / stream | p50 ms | p99 ms (per run) | max ms | CPU ms / change | KB / stream / change | missed |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            var p99s = string.Join(", ", r.Runs.Select(f => f.P99Ms.ToString("0", invariant)));
            text.AppendLine(invariant,
                $"| {r.Case} | {r.Streams} | {r.Protocol} | {r.Target} | {r.ConnectSeconds:0.0} | {Kb(r.RssPerStream)} | {Kb(r.HeapPerStream)} | {r.Median(f => f.P50Ms):0} | {r.Median(f => f.P99Ms):0} ({p99s}) | {r.Median(f => f.MaxMs):0} | {r.Median(f => f.CpuMsPerChange):0} | {r.Median(f => f.BytesPerStreamPerChange) / 1024:0.0} | {r.Missed} |");
        }

        text.AppendLine();
        text.AppendLine("Ratios, control plane / bare baseline, same case and protocol, same run:");
        text.AppendLine();
        foreach (var group in results.GroupBy(r => (r.Case, r.Protocol)))
        {
            var cp = group.FirstOrDefault(r => !r.IsBaseline);
            var bare = group.FirstOrDefault(r => r.IsBaseline);
            if (cp is null || bare is null)
            {
                continue;
            }

            text.AppendLine(invariant,
                $"- Case {group.Key.Case}, {group.Key.Protocol}, {cp.Streams} streams: p50 {Ratio(cp, bare, f => f.P50Ms)}, **p99 {Ratio(cp, bare, f => f.P99Ms)}**, CPU per change {Ratio(cp, bare, f => f.CpuMsPerChange)}, RSS per stream {cp.RssPerStream / bare.RssPerStream:0.00}x, heap per stream {cp.HeapPerStream / bare.HeapPerStream:0.00}x");
        }

        return text.ToString();
    }

    private static string Ratio(ChurnResult cp, ChurnResult bare, Func<ChurnResult.RunFigures, double> figure) =>
        (cp.Median(figure) / bare.Median(figure)).ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private static string Kb(double bytes) => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KB";
}
