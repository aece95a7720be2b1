using System.Globalization;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The shape of a <c>--scenario churn</c> run: work per change that grows with the mesh. Case A
/// moves every endpoint of every service at once with <see cref="StreamsA"/> streams (once all
/// Delta, once all SotW); case B moves one service with <see cref="StreamsB"/> Delta streams.
/// Every stream subscribes (EDS) to every service's ClusterLoadAssignment.
/// </summary>
/// <param name="Services">Services in the mesh (<c>--services</c>, default 100).</param>
/// <param name="EndpointsPerService">Endpoints in each service's EndpointSlice (<c>--endpoints</c>, default 10).</param>
/// <param name="StreamsA">Streams of case A (<c>--streams</c>, default 2,000).</param>
/// <param name="StreamsB">Streams of case B (<c>--streams-b</c>, default 20,000).</param>
/// <param name="Runs">Measured runs per fleet; each figure is the median over them (<c>--runs</c>, default 3).</param>
/// <param name="ChangesPerRun">Changes measured in each run (<c>--changes</c>, default 3).</param>
/// <param name="StreamsPerConnection">Streams per HTTP/2 connection (<c>--per-connection</c>, default 10).</param>
/// <param name="Cases">Which cases run (<c>--cases</c>: <c>A</c>, <c>B</c> or <c>A,B</c>, the default).</param>
/// <param name="Output">Where the Markdown section is appended (<c>--out</c>, default BENCHMARKS.md; <c>-</c> prints only).</param>
internal sealed record ChurnOptions(
    int Services,
    int EndpointsPerService,
    int StreamsA,
    int StreamsB,
    int Runs,
    int ChangesPerRun,
    int StreamsPerConnection,
    IReadOnlyList<string> Cases,
    string Output)
{
    public static ChurnOptions Parse(string[] args)
    {
        var cases = (BenchOptions.Value(args, "--cases") ?? "A,B").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToUpperInvariant()).ToList();
        var options = new ChurnOptions(
            Number(args, "--services") ?? 100,
            Number(args, "--endpoints") ?? 10,
            Number(args, "--streams") ?? 2_000,
            Number(args, "--streams-b") ?? 20_000,
            Number(args, "--runs") ?? 3,
            Number(args, "--changes") ?? 3,
            Number(args, "--per-connection") ?? 10,
            cases,
            BenchOptions.Value(args, "--out") ?? "BENCHMARKS.md");
        if (options.Services < 1 || options.EndpointsPerService < 1 || options.StreamsA < 1 || options.StreamsB < 1 || options.Runs < 1 || options.ChangesPerRun < 1 || options.StreamsPerConnection < 1)
        {
            throw new ArgumentException("--services, --endpoints, --streams, --streams-b, --runs, --changes and --per-connection must be at least 1.", nameof(args));
        }

        if (options.EndpointsPerService > 25)
        {
            throw new ArgumentException("--endpoints must be at most 25: each change moves every endpoint to a fresh address in one /24.", nameof(args));
        }

        if (cases.Count == 0 || cases.Any(c => c is not ("A" or "B")))
        {
            throw new ArgumentException("--cases takes A, B or A,B.", nameof(args));
        }

        return options;
    }

    private static int? Number(string[] args, string name) =>
        BenchOptions.Value(args, name) is { } text ? int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture) : null;
}
