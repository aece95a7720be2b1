namespace Mesh.Orleans.Bench;

/// <summary>What one run (the control plane or the baseline, at one stream count) measured.</summary>
internal sealed class RunResult
{
    public required string Target { get; init; }

    public required int Streams { get; init; }

    public double ConnectSeconds { get; set; }

    public double FrontendRssPerStream { get; set; }

    public double FrontendHeapPerStream { get; set; }

    public double SiloHeapPerProxy { get; set; }

    public double SiloRssPerProxy { get; set; }

    public List<double> LatenciesMs { get; } = [];

    /// <summary>Per change: last stream's arrival minus the first's.</summary>
    public List<double> FanOutMs { get; } = [];

    public double CpuSecondsPerChange { get; set; }

    public double DeliveriesPerChange { get; set; }

    public double BytesPerChange { get; set; }

    public double ResourcesBuiltPerChange { get; set; }

    public double ColdChangeReceivers { get; set; }

    public double ColdChangeSubscribers { get; set; }

    public double StormSeconds { get; set; }

    public double StormBytes { get; set; }

    public int StormRetries { get; set; }

    public double Percentile(double p)
    {
        if (LatenciesMs.Count == 0)
        {
            return double.NaN;
        }

        var sorted = LatenciesMs.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Deliveries per second per core: streams that received a change per CPU-second the server spent on it.</summary>
    public double DeliveriesPerCoreSecond => CpuSecondsPerChange > 0 ? DeliveriesPerChange / CpuSecondsPerChange : double.NaN;
}
