using System.Globalization;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The shape of a <c>--scenario registry</c> run: how large the registry is, how many streams
/// watch it, how many changes are measured, and which sources are run.
/// </summary>
/// <param name="Services">Services (each with one EndpointSlice) in the Kubernetes and directory runs (<c>--services</c>, default 50,000).</param>
/// <param name="EndpointsPerService">Endpoints in each slice (<c>--endpoints</c>, default 10).</param>
/// <param name="FileServices">Services in the one-file run (<c>--file-services</c>, default 5,000, or <c>--services</c> when smaller).</param>
/// <param name="Streams">Delta streams opened against each control plane (<c>--streams</c>, default 200).</param>
/// <param name="ClustersPerSidecar">ClusterLoadAssignments each stream subscribes to: the hot one and the rest at random (10).</param>
/// <param name="Changes">Measured changes of the hot service's EndpointSlice per run (<c>--changes</c>, default 20).</param>
/// <param name="WarmUpChanges">Unmeasured changes before them (<c>--warmup</c>, default 1), so that JIT compilation of the change path is not counted.</param>
/// <param name="Sources">The runs, in order (<c>--sources</c>, default <c>kubernetes,directory,file</c>).</param>
/// <param name="Output">Where the Markdown section is appended (<c>--out</c>, default BENCHMARKS.md; <c>-</c> prints only).</param>
internal sealed record RegistryOptions(
    int Services,
    int EndpointsPerService,
    int FileServices,
    int Streams,
    int ClustersPerSidecar,
    int Changes,
    int WarmUpChanges,
    IReadOnlyList<RegistrySource> Sources,
    string Output)
{
    /// <summary>The quiet period given to the one-file run (<c>Mesh:Source:DebounceQuiet</c>), as the figure was taken with.</summary>
    public const string FileDebounceQuiet = "00:00:00.010";

    public static RegistryOptions Parse(string[] args)
    {
        var services = Number(args, "--services") ?? 50_000;
        var endpoints = Number(args, "--endpoints") ?? 10;
        var sources = (BenchOptions.Value(args, "--sources") ?? "kubernetes,directory,file")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(source => source switch
            {
                "kubernetes" => RegistrySource.Kubernetes,
                "directory" => RegistrySource.Directory,
                "file" => RegistrySource.File,
                _ => throw new ArgumentException($"Unknown source {source} in --sources: kubernetes, directory, file.", nameof(args)),
            })
            .ToList();
        var options = new RegistryOptions(
            services,
            endpoints,
            Number(args, "--file-services") ?? Math.Min(services, 5_000),
            Number(args, "--streams") ?? 200,
            10,
            Number(args, "--changes") ?? 20,
            Number(args, "--warmup") ?? 1,
            sources,
            BenchOptions.Value(args, "--out") ?? "BENCHMARKS.md");
        if (options.Services < options.ClustersPerSidecar || options.FileServices < options.ClustersPerSidecar)
        {
            throw new ArgumentException($"--services and --file-services must be at least {options.ClustersPerSidecar}, the assignments each stream subscribes to.", nameof(args));
        }

        if (options.EndpointsPerService < 1 || options.Streams < 1 || options.Changes < 1 || options.WarmUpChanges < 1)
        {
            throw new ArgumentException("--endpoints, --streams, --changes and --warmup must be at least 1.", nameof(args));
        }

        return options;
    }

    /// <summary>Services in the run of <paramref name="source"/>.</summary>
    public int ServicesOf(RegistrySource source) => source == RegistrySource.File ? FileServices : Services;

    /// <summary>Services in the memory baseline run: a tenth of the registry (see <see cref="RegistryScenario"/>).</summary>
    public int BaselineServices => Math.Max(ClustersPerSidecar, Services / 10);

    private static int? Number(string[] args, string name) =>
        BenchOptions.Value(args, name) is { } text ? int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture) : null;
}
