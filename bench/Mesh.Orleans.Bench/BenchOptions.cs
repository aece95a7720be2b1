namespace Mesh.Orleans.Bench;

/// <summary>One benchmark run's shape.</summary>
internal sealed record BenchOptions(
    string Profile,
    IReadOnlyList<int> StreamCounts,
    int Services,
    int EndpointsPerService,
    int ClustersPerSidecar,
    int Changes,
    int StreamsPerConnection,
    string Output)
{
    public static BenchOptions Parse(string[] args)
    {
        var profile = Value(args, "--profile") ?? "short";
        var streams = Value(args, "--streams")?.Split(',').Select(int.Parse).ToList();
        return profile switch
        {
            "full" => new BenchOptions("full", streams ?? [2_000, 10_000], 1_000, 10, 10, 5, int.Parse(Value(args, "--per-connection") ?? "1"), Value(args, "--out") ?? "BENCHMARKS.md"),
            _ => new BenchOptions("short", streams ?? [200, 1_000], 200, 10, 10, 3, int.Parse(Value(args, "--per-connection") ?? "1"), Value(args, "--out") ?? "-"),
        };
    }

    /// <summary>A relative output path is taken from the repository root (where Mesh.Orleans.sln is), wherever the bench runs from.</summary>
    public string OutputPath => ResolveOutput(Output);

    /// <summary>Where <paramref name="output"/> (<c>-</c>, an absolute path, or one relative to the repository root) points.</summary>
    internal static string ResolveOutput(string output)
    {
        if (output == "-" || Path.IsPathRooted(output))
        {
            return output;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.Orleans.sln")))
            {
                return Path.Combine(dir.FullName, output);
            }
        }

        return output;
    }

    internal static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
