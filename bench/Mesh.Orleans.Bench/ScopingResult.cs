namespace Mesh.Orleans.Bench;

/// <summary>What one <c>--scenario scoping</c> run measured (bytes, seconds, counts; NaN where a step did not run).</summary>
internal sealed class ScopingResult
{
    /// <summary>Writing the Services and EndpointSlices (and later the Sidecars), seconds.</summary>
    public double PrepareSeconds { get; set; }

    /// <summary>From starting the unscoped control plane to its serving the last service, seconds.</summary>
    public double UnscopedLoadSeconds { get; set; } = double.NaN;

    /// <summary>From starting the scoped silo to the frontend serving the last service, seconds.</summary>
    public double LoadSeconds { get; set; } = double.NaN;

    /// <summary>An empty silo's managed heap and RSS after a forced full GC.</summary>
    public (double Heap, double Rss) EmptySilo { get; set; } = (double.NaN, double.NaN);

    /// <summary>The scoped silo's managed heap and RSS, mesh loaded, no stream open (forced full GC).</summary>
    public (double Heap, double Rss) LoadedSilo { get; set; } = (double.NaN, double.NaN);

    /// <summary>The scoped silo with one stream per namespace (every scope active).</summary>
    public (double Heap, double Rss) ScopesSilo { get; set; } = (double.NaN, double.NaN);

    /// <summary>The scoped silo with the whole fleet connected.</summary>
    public (double Heap, double Rss) FleetSilo { get; set; } = (double.NaN, double.NaN);

    /// <summary>The frontend at the same three moments.</summary>
    public (double Heap, double Rss) LoadedFrontend { get; set; } = (double.NaN, double.NaN);

    public (double Heap, double Rss) ScopesFrontend { get; set; } = (double.NaN, double.NaN);

    public (double Heap, double Rss) FleetFrontend { get; set; } = (double.NaN, double.NaN);

    /// <summary>Scopes the first stage opened (the load probe's scope was open already).</summary>
    public int ScopesOpened { get; set; }

    /// <summary>Streams of the first stage (one per namespace) and of the second (the rest).</summary>
    public int StageOneStreams { get; set; }

    public int StageTwoStreams { get; set; }

    /// <summary>From opening the first-stage streams to each holding every assignment of its scope, seconds.</summary>
    public double StageOneSeconds { get; set; } = double.NaN;

    public double StageTwoSeconds { get; set; } = double.NaN;

    /// <summary>Streams that did not converge within the time allowed, and connect retries.</summary>
    public int Unconverged { get; set; }

    public int ConnectRetries { get; set; }

    /// <summary>Per fleet stream at convergence: protocol, namespace, bytes and EDS clusters.</summary>
    public List<(bool Delta, bool Shared, long Bytes, int Clusters)> FleetConnect { get; } = [];

    /// <summary>Per probe, on the unscoped and on the scoped control plane: protocol, bytes, clusters, seconds to converge.</summary>
    public List<(bool Delta, long Bytes, int Clusters, double Seconds)> UnscopedProbes { get; } = [];

    public List<(bool Delta, long Bytes, int Clusters, double Seconds)> ScopedProbes { get; } = [];

    /// <summary>The EndpointSlice change of a service of the target namespace.</summary>
    public ChangeResult? NamespaceChange { get; set; }

    /// <summary>The EndpointSlice change of a service of the shared namespace.</summary>
    public ChangeResult? SharedChange { get; set; }

    /// <summary>The Sidecar change adding the neighbour namespace to the target's egress hosts.</summary>
    public SidecarChangeResult? SidecarChange { get; set; }

    /// <summary>Per control-plane process (unscoped, silo, frontend): its Warning-and-above log entries by level and category, most frequent first.</summary>
    public Dictionary<string, List<LogEntryGroup>> LogEntries { get; } = [];

    /// <summary>Log entries of one level and category: how many, the first and last time, and the first one's message line.</summary>
    internal sealed record LogEntryGroup(string Category, int Count, string First, string Last, string Sample);

    /// <summary>When each step began (UTC, <c>HH:mm:ss</c>), to set beside the control plane's log.</summary>
    public List<string> Timeline { get; } = [];

    /// <summary>Notes when <paramref name="step"/> begins.</summary>
    public void Begin(string step) => Timeline.Add($"{DateTime.UtcNow:HH:mm:ss} {step}");

    /// <summary>What stopped the run early, if something did.</summary>
    public string? Failure { get; set; }

    /// <summary>Measured EndpointSlice changes of one service.</summary>
    internal sealed class ChangeResult
    {
        public required string Cluster { get; init; }

        public required int Expected { get; init; }

        public int Changes { get; set; }

        /// <summary>Change to stream, every expected stream of every change, ms.</summary>
        public RunResult Latencies { get; } = new() { Target = "change", Streams = 0 };

        /// <summary>Expected arrivals that did not come within the wait, over all changes.</summary>
        public int Missing { get; set; }

        /// <summary>Streams outside the expected set that received the cluster's new version, over all changes.</summary>
        public int OutsideReceivers { get; set; }

        /// <summary>Streams outside the expected set that received any response at all, over all changes.</summary>
        public int OutsideResponses { get; set; }

        /// <summary>Per change that missed streams: its generation and the missing streams by namespace and protocol.</summary>
        public List<string> MissingDetail { get; } = [];

        public double FrontendBytesPerChange { get; set; }

        public double FrontendCpuMsPerChange { get; set; }

        public double SiloCpuMsPerChange { get; set; }

        public bool Failed => Missing > 0 || OutsideReceivers > 0 || OutsideResponses > 0;
    }

    /// <summary>The Sidecar change: per stream of the target namespace, when CDS and EDS held the added clusters.</summary>
    internal sealed class SidecarChangeResult
    {
        public required int Expected { get; init; }

        public required int AddedClusters { get; init; }

        public RunResult ClustersMs { get; } = new() { Target = "cds", Streams = 0 };

        public RunResult AssignmentsMs { get; } = new() { Target = "eds", Streams = 0 };

        public int Missing { get; set; }

        public int OutsideResponses { get; set; }

        public double FrontendBytes { get; set; }

        public bool Failed => Missing > 0 || OutsideResponses > 0;
    }
}
