namespace Mesh.Orleans.Bench;

/// <summary>What one fleet of the churn scenario (one case, one protocol, one target) measured.</summary>
internal sealed class ChurnResult
{
    /// <summary>The case: A (every service moves) or B (one service moves).</summary>
    public required string Case { get; init; }

    /// <summary>"control plane" or "bare baseline".</summary>
    public required string Target { get; init; }

    public required bool Delta { get; init; }

    public required int Streams { get; init; }

    /// <summary>Services whose every endpoint moves in each change.</summary>
    public required int Moving { get; init; }

    public bool IsBaseline => Target.StartsWith("bare", StringComparison.Ordinal);

    public string Protocol => Delta ? "Delta" : "SotW";

    public double ConnectSeconds { get; set; }

    public double RssPerStream { get; set; }

    public double HeapPerStream { get; set; }

    /// <summary>Stream-changes that did not arrive within the wait (should be 0).</summary>
    public int Missed { get; set; }

    /// <summary>One entry per measured run.</summary>
    public List<RunFigures> Runs { get; } = [];

    public double Median(Func<RunFigures, double> figure)
    {
        var values = Runs.Select(figure).Order().ToList();
        if (values.Count == 0)
        {
            return double.NaN;
        }

        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>One run's figures: change-to-stream latency percentiles over all its changes and streams, and per-change costs.</summary>
    internal sealed record RunFigures(double P50Ms, double P99Ms, double MaxMs, double CpuMsPerChange, double BytesPerStreamPerChange);

    /// <summary>The <paramref name="p"/>th percentile of <paramref name="values"/> (nearest rank).</summary>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
