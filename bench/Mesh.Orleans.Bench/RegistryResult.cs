namespace Mesh.Orleans.Bench;

/// <summary>What one registry run (one source, one freshly started control plane) measured.</summary>
internal sealed class RegistryResult
{
    public required RegistrySource Source { get; init; }

    public required int Services { get; init; }

    public required int EndpointsPerService { get; init; }

    /// <summary>The settings the run gave the control plane that bear on its figures (debounce).</summary>
    public required string Settings { get; init; }

    /// <summary>Latencies of every stream for every measured change (and the fan-out per change).</summary>
    public required RunResult Changes { get; init; }

    /// <summary>Per measured change, in order: the last stream's arrival (NaN when none arrived).</summary>
    public List<double> LastArrivalMs { get; } = [];

    /// <summary>Loading the fake API server, or writing the YAML, before the control plane starts.</summary>
    public double PrepareSeconds { get; set; }

    /// <summary>From starting the process to its printing the xDS port (the YAML source loads before it opens the port).</summary>
    public double PortsSeconds { get; set; }

    /// <summary>From starting the process to a stream holding the last listed service with all its endpoints.</summary>
    public double LoadSeconds { get; set; }

    /// <summary>The silo's managed heap after a forced full GC, the mesh loaded, only the probe stream open.</summary>
    public double HeapBytes { get; set; }

    /// <summary>The silo's RSS at the same moment.</summary>
    public double RssBytes { get; set; }

    /// <summary>From opening the streams to each having its first response.</summary>
    public double ConnectSeconds { get; set; }

    /// <summary>The control plane's CPU time from before a change to 500 ms after its last stream had it, averaged.</summary>
    public double CpuSecondsPerChange { get; set; }

    /// <summary>Arrivals the measured changes should have produced: streams x changes.</summary>
    public int ExpectedArrivals { get; set; }
}
