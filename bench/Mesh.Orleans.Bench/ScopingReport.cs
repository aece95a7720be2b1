using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>Renders a <c>--scenario scoping</c> run as a Markdown section of BENCHMARKS.md.</summary>
internal static class ScopingReport
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static string Render(ScopingOptions options, ScopingMesh mesh, string[] args, ScopingResult r, TimeSpan took)
    {
        var text = new StringBuilder();
        var target = mesh.Namespace(mesh.Target);
        var neighbour = mesh.Namespace(mesh.Neighbour);
        var perNamespace = options.Sidecars / mesh.Namespaces;
        text.AppendLine(s_invariant, $"## {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, scenario `scoping`");
        text.AppendLine();
        text.AppendLine(Report.MachineLine());
        text.AppendLine(s_invariant, $"- Command: `dotnet run -c Release --project bench/Mesh.Orleans.Bench -- {string.Join(' ', args)}` ({took.TotalMinutes:0.0} min)");
        text.AppendLine(s_invariant, $"- Mesh: {mesh.Namespaces} namespaces (`{mesh.Namespace(0)}` ... `{mesh.Namespace(mesh.Namespaces - 2)}` and `{ScopingMesh.SharedNamespace}`) x {mesh.ServicesPerNamespace} Services = {mesh.Services} services, each with one EndpointSlice of {mesh.Endpoints} endpoints; every namespace has a namespace-wide Sidecar `default` with `egress: [{{hosts: [\"./*\", \"shared/*\"]}}]`, so a sidecar sees {2 * mesh.ServicesPerNamespace} services ({mesh.ServicesPerNamespace} in `shared`). YAML directory, one file per object ({(2 * mesh.Services) + mesh.Namespaces} files), `Mesh:Source:DebounceQuiet` default (100 ms).");
        text.AppendLine(s_invariant, $"- Fleet: {options.Sidecars} simulated Envoy sidecars, {perNamespace}{(options.Sidecars % mesh.Namespaces == 0 ? string.Empty : "-" + (perNamespace + 1))} per namespace (node metadata `NAMESPACE`, all at 127.0.0.1), half of each namespace's SotW and half Delta, {options.StreamsPerConnection} streams per HTTP/2 connection; each subscribes to CDS (wildcard) and then EDS for every EDS cluster CDS brought (as Envoy does), and ACKs everything. Bytes are protobuf message sizes of the responses (without gRPC framing).");
        text.AppendLine(s_invariant, $"- Control planes, one after the other, on the same directory: (1) the mesh without any Sidecar, one `--role all` process, measured only with {options.Probes} probe proxies in `{target}` (alternately SotW and Delta, one at a time); (2) with the Sidecars, a `--role silo` process (YAML source, grains) and a `--role frontend` process (xDS). The load generator is a third process on the same cores.");
        text.AppendLine("- Memory: `/debug/stats?gc` (forced full compacting GC) of each process: the silo before any stream (mesh loaded), after one sidecar per namespace has converged (every scope open: stage one), and after the rest of the fleet (no new scope: stage two). Per proxy and per stream = stage two's growth / its streams; per scope = (stage one's growth - its streams x the per-proxy figure) / the scopes it opened (the load probe's scope, `shared`, was open before). Per service = (loaded silo - an empty silo's) / services.");
        text.AppendLine(s_invariant, $"- Changes: {options.Changes} measured EndpointSlice changes (one endpoint moves) of one service in `{target}`, then {options.Changes} of one in `shared`, after one unmeasured of each kind, {StrayWindowText}; from renaming the new file over the old to each stream holding the new version. Then `{target}`'s Sidecar gains `{neighbour}/*`: from the rename to each `{target}` stream holding the {mesh.ServicesPerNamespace} added clusters (CDS) and their assignments (EDS).");
        text.AppendLine(s_invariant, $"- Timeline (UTC): {string.Join("; ", r.Timeline)}.");
        if (r.Failure is not null)
        {
            text.AppendLine(s_invariant, $"- **The run stopped early**: {r.Failure}. The table has what was measured before.");
        }

        text.AppendLine();
        text.AppendLine("| quantity | value |");
        text.AppendLine("| --- | --- |");
        Row(text, "load: start to last service served, without / with Sidecars", $"{r.UnscopedLoadSeconds:0.0} s / {r.LoadSeconds:0.0} s");
        var perService = (r.LoadedSilo.Heap - r.EmptySilo.Heap) / mesh.Services;
        var perServiceRss = (r.LoadedSilo.Rss - r.EmptySilo.Rss) / mesh.Services;
        Row(text, "silo memory per service (heap / RSS)", $"{Kb(perService)} / {Kb(perServiceRss)} (loaded {Mib(r.LoadedSilo.Heap)} / {Mib(r.LoadedSilo.Rss)} MiB, empty silo {Mib(r.EmptySilo.Heap)} / {Mib(r.EmptySilo.Rss)} MiB)");
        var perProxy = (r.FleetSilo.Heap - r.ScopesSilo.Heap) / r.StageTwoStreams;
        var perProxyRss = (r.FleetSilo.Rss - r.ScopesSilo.Rss) / r.StageTwoStreams;
        var perScope = (r.ScopesSilo.Heap - r.LoadedSilo.Heap - (r.StageOneStreams * perProxy)) / r.ScopesOpened;
        var perScopeRss = (r.ScopesSilo.Rss - r.LoadedSilo.Rss - (r.StageOneStreams * perProxyRss)) / r.ScopesOpened;
        Row(text, $"silo memory per scope (heap / RSS; {r.ScopesOpened} scopes of {2 * mesh.ServicesPerNamespace} hostnames)", $"{Kb(perScope)} / {Kb(perScopeRss)} (silo heap {Mib(r.LoadedSilo.Heap)} -> {Mib(r.ScopesSilo.Heap)} MiB at stage one)");
        Row(text, "silo memory per proxy (heap / RSS)", $"{Kb(perProxy)} / {Kb(perProxyRss)} (silo heap {Mib(r.ScopesSilo.Heap)} -> {Mib(r.FleetSilo.Heap)} MiB over {r.StageTwoStreams} streams)");
        var perStream = (r.FleetFrontend.Heap - r.ScopesFrontend.Heap) / r.StageTwoStreams;
        var perStreamRss = (r.FleetFrontend.Rss - r.ScopesFrontend.Rss) / r.StageTwoStreams;
        var frontendPerScope = (r.ScopesFrontend.Heap - r.LoadedFrontend.Heap - (r.StageOneStreams * perStream)) / r.ScopesOpened;
        Row(text, "frontend memory per stream (heap / RSS)", $"{Kb(perStream)} / {Kb(perStreamRss)} (frontend heap {Mib(r.ScopesFrontend.Heap)} -> {Mib(r.FleetFrontend.Heap)} MiB)");
        Row(text, "frontend memory per scope cache (heap)", $"{Kb(frontendPerScope)} (frontend heap {Mib(r.LoadedFrontend.Heap)} -> {Mib(r.ScopesFrontend.Heap)} MiB at stage one)");
        Row(text, "fleet converged: stage one / stage two", $"{r.StageOneStreams} streams in {r.StageOneSeconds:0.0} s / {r.StageTwoStreams} streams in {r.StageTwoSeconds:0.0} s ({r.Unconverged} did not converge, {r.ConnectRetries} connect retries)");

        var ordinary = r.FleetConnect.Where(c => !c.Shared).ToList();
        var shared = r.FleetConnect.Where(c => c.Shared).ToList();
        Row(text, "EDS clusters a fleet stream held at connect (min / max; expected)",
            $"ordinary namespaces {MinMax(ordinary.Select(c => c.Clusters))}; expected {2 * mesh.ServicesPerNamespace}. `shared` {MinMax(shared.Select(c => c.Clusters))}; expected {mesh.ServicesPerNamespace}");
        Row(text, "bytes a fleet stream received at connect, mean (SotW / Delta)",
            $"ordinary namespaces {Kib(Mean(ordinary.Where(c => !c.Delta)))} / {Kib(Mean(ordinary.Where(c => c.Delta)))}; `shared` {Kib(Mean(shared.Where(c => !c.Delta)))} / {Kib(Mean(shared.Where(c => c.Delta)))}");
        var scopedProbe = r.ScopedProbes.Select(p => (double)p.Bytes).DefaultIfEmpty(double.NaN).Average();
        var unscopedProbe = r.UnscopedProbes.Select(p => (double)p.Bytes).DefaultIfEmpty(double.NaN).Average();
        Row(text, $"bytes a probe in `{target}` received at connect, with / without Sidecars (mean of {options.Probes}; EDS clusters)",
            $"{Kib(scopedProbe)} / {Kib(unscopedProbe)} ({MinMax(r.ScopedProbes.Select(p => p.Clusters))} / {MinMax(r.UnscopedProbes.Select(p => p.Clusters))} clusters): **{unscopedProbe / scopedProbe:0}x fewer bytes** with Sidecars");
        Row(text, "probe time to converge, with / without Sidecars (mean)",
            $"{r.ScopedProbes.Select(p => p.Seconds).DefaultIfEmpty(double.NaN).Average():0.00} s / {r.UnscopedProbes.Select(p => p.Seconds).DefaultIfEmpty(double.NaN).Average():0.00} s");
        ChangeRows(text, $"EndpointSlice change in `{target}`", r.NamespaceChange);
        ChangeRows(text, "EndpointSlice change in `shared`", r.SharedChange);
        if (r.SidecarChange is { } sc)
        {
            Row(text, $"Sidecar change (`{target}` adds `{neighbour}/*`): streams of `{target}` holding the {sc.AddedClusters} added clusters, CDS p50 / max",
                $"{sc.ClustersMs.LatenciesMs.Count} of {sc.Expected}; {sc.ClustersMs.Percentile(50):0} / {sc.ClustersMs.Percentile(100):0} ms");
            Row(text, "... and their assignments (EDS): converged p50 / max",
                $"{sc.AssignmentsMs.LatenciesMs.Count} of {sc.Expected}; {sc.AssignmentsMs.Percentile(50):0} / **{sc.AssignmentsMs.Percentile(100):0} ms** until all converged");
            Row(text, "... other streams that received anything / frontend bytes sent", $"{sc.OutsideResponses} / {sc.FrontendBytes / 1024:0} KiB");
        }

        var missed = new[] { r.NamespaceChange, r.SharedChange }.Where(c => c is not null).SelectMany(c => c!.MissingDetail).ToList();
        if (missed.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Expected streams a slice change did not reach within 60 s:");
            text.AppendLine();
            foreach (var line in missed)
            {
                text.AppendLine(s_invariant, $"- {line}");
            }
        }

        text.AppendLine();
        text.AppendLine("Control-plane log entries of level Warning and above, by category (the processes run with `Logging:LogLevel:Default` Warning; Orleans' notes that ServerGC is off left out; times UTC):");
        text.AppendLine();
        foreach (var (process, groups) in r.LogEntries)
        {
            text.AppendLine(s_invariant, $"- {process}: {(groups.Count == 0 ? "none" : $"{groups.Sum(g => g.Count)} entries")}");
            foreach (var g in groups.Take(8))
            {
                text.AppendLine(s_invariant, $"  - {g.Count} x `{g.Category}` ({g.First}{(g.Count > 1 ? $" to {g.Last}" : string.Empty)}), e.g. \"{g.Sample.Replace("|", "\\|", StringComparison.Ordinal)}\"");
            }

            if (groups.Count > 8)
            {
                text.AppendLine(s_invariant, $"  - and {groups.Skip(8).Sum(g => g.Count)} entries of {groups.Count - 8} other categories");
            }
        }

        text.AppendLine();
        text.AppendLine("Checks of this run:");
        text.AppendLine();
        Check(text, "every fleet stream converged", r.Unconverged == 0 && r.FleetConnect.Count == options.Sidecars, $"{r.FleetConnect.Count} of {options.Sidecars}");
        Check(text, "each stream held exactly its namespace's and `shared`'s clusters",
            ordinary.All(c => c.Clusters == 2 * mesh.ServicesPerNamespace) && shared.All(c => c.Clusters == mesh.ServicesPerNamespace) && r.FleetConnect.Count > 0, null);
        if (r.NamespaceChange is { } nc)
        {
            Check(text, $"a `{target}` slice change reached only and all of `{target}`'s {nc.Expected} streams", !nc.Failed, ChangeDetail(nc));
        }

        if (r.SharedChange is { } sh)
        {
            Check(text, $"a `shared` slice change reached all {sh.Expected} streams", !sh.Failed, ChangeDetail(sh));
        }

        if (r.SidecarChange is { } side)
        {
            Check(text, $"the Sidecar change converged every `{target}` stream and no other stream heard of it", !side.Failed, $"{side.Missing} missing, {side.OutsideResponses} outside");
        }

        return text.ToString();
    }

    private const string StrayWindowText = "each watched for 2 s after its last expected arrival for streams outside the expected set";

    private static void ChangeRows(StringBuilder text, string what, ScopingResult.ChangeResult? change)
    {
        if (change is null)
        {
            return;
        }

        var l = change.Latencies;
        Row(text, $"{what}: streams that received it (expected; outside the expected set)", $"{(double)l.LatenciesMs.Count / change.Changes:0.#} per change ({change.Expected}; {change.OutsideReceivers} received it, {change.OutsideResponses} received any response, over {change.Changes} changes)");
        Row(text, $"{what}: change to stream p50 / p99 / max", $"{l.Percentile(50):0} / {l.Percentile(99):0} / {l.Percentile(100):0} ms");
        Row(text, $"{what}: frontend bytes sent / frontend CPU / silo CPU, per change", $"{change.FrontendBytesPerChange / 1024:0.0} KiB / {change.FrontendCpuMsPerChange:0} ms / {change.SiloCpuMsPerChange:0} ms");
    }

    private static string ChangeDetail(ScopingResult.ChangeResult change) =>
        $"{change.Missing} expected arrivals missing, {change.OutsideReceivers} outside streams received it, {change.OutsideResponses} received something, over {change.Changes} changes";

    private static void Check(StringBuilder text, string what, bool passed, string? detail) =>
        text.AppendLine(s_invariant, $"- {what}: {(passed ? "yes" : "**NO (a failure of the run)**")}{(detail is null ? string.Empty : $" ({detail})")}");

    private static void Row(StringBuilder text, string quantity, string value) => text.AppendLine(s_invariant, $"| {quantity} | {value} |");

    private static double Mean(IEnumerable<(bool Delta, bool Shared, long Bytes, int Clusters)> rows) => rows.Select(c => (double)c.Bytes).DefaultIfEmpty(double.NaN).Average();

    private static string MinMax(IEnumerable<int> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "-" : list.Min() == list.Max() ? list.Min().ToString(s_invariant) : $"{list.Min()}-{list.Max()}";
    }

    private static string Kb(double bytes) => (bytes / 1024).ToString("0.0", s_invariant) + " KB";

    private static string Kib(double bytes) => (bytes / 1024).ToString("0.0", s_invariant) + " KiB";

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0", s_invariant);
}
