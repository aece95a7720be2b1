using System.Globalization;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The shape of a <c>--scenario scoping</c> run: how many namespaces and services, how many
/// sidecars watch them, and how many changes are measured.
/// </summary>
/// <param name="Namespaces">Namespaces, the shared one included (<c>--namespaces</c>, default 500).</param>
/// <param name="ServicesPerNamespace">Services in each namespace (<c>--services-per-namespace</c>, default 100).</param>
/// <param name="EndpointsPerService">Endpoints in each service's one EndpointSlice (<c>--endpoints</c>, default 10).</param>
/// <param name="Sidecars">Simulated sidecars, spread evenly over the namespaces (<c>--sidecars</c>, default 10,000).</param>
/// <param name="Probes">Probe proxies that measure bytes at connect, in the target namespace, against both control planes (<c>--probes</c>, default 5).</param>
/// <param name="Changes">Measured changes of each kind of EndpointSlice change (<c>--changes</c>, default 10).</param>
/// <param name="StreamsPerConnection">Streams per HTTP/2 connection (<c>--per-connection</c>, default 10).</param>
/// <param name="Output">Where the Markdown section is appended (<c>--out</c>, default BENCHMARKS.md; <c>-</c> prints only).</param>
internal sealed record ScopingOptions(
    int Namespaces,
    int ServicesPerNamespace,
    int EndpointsPerService,
    int Sidecars,
    int Probes,
    int Changes,
    int StreamsPerConnection,
    string Output)
{
    public static ScopingOptions Parse(string[] args)
    {
        var options = new ScopingOptions(
            Number(args, "--namespaces") ?? 500,
            Number(args, "--services-per-namespace") ?? 100,
            Number(args, "--endpoints") ?? 10,
            Number(args, "--sidecars") ?? 10_000,
            Number(args, "--probes") ?? 5,
            Number(args, "--changes") ?? 10,
            Number(args, "--per-connection") ?? 10,
            BenchOptions.Value(args, "--out") ?? "BENCHMARKS.md");
        if (options.Namespaces < 3)
        {
            throw new ArgumentException("--namespaces must be at least 3: a target namespace, its neighbour and the shared one.", nameof(args));
        }

        if (options.ServicesPerNamespace < 2)
        {
            throw new ArgumentException("--services-per-namespace must be at least 2: one service changes, another warms the path up.", nameof(args));
        }

        if (options.Sidecars < options.Namespaces)
        {
            throw new ArgumentException($"--sidecars must be at least --namespaces ({options.Namespaces}): each namespace needs a sidecar to open its scope.", nameof(args));
        }

        if (options.EndpointsPerService < 1 || options.Probes < 1 || options.Changes < 1 || options.StreamsPerConnection < 1)
        {
            throw new ArgumentException("--endpoints, --probes, --changes and --per-connection must be at least 1.", nameof(args));
        }

        return options;
    }

    /// <summary>Services in the mesh.</summary>
    public int Services => Namespaces * ServicesPerNamespace;

    private static int? Number(string[] args, string name) =>
        BenchOptions.Value(args, name) is { } text ? int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture) : null;
}
