using System.Diagnostics.Metrics;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// The xDS frontend's metrics (meter <see cref="MeterName"/>), named as istiod names them where
/// the meaning is the same (<c>pilot/pkg/xds/monitoring.go</c>): pushes, rejections (NACKs),
/// internal errors, push, send and convergence times, and connected proxies. Labels are bounded:
/// an xDS type, a proxy kind, a proxy version (the first 40 characters of what proxies announce);
/// never a proxy id.
/// </summary>
public sealed class XdsMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Orleans.Xds";

    // Istio's buckets for push and convergence times (seconds), with finer ones below 100 ms.
    private static readonly double[] s_timeBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3, 5, 10, 20, 30];

    private static readonly Meter s_meter = new(MeterName);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<StreamRegistry, byte> s_registries = new();

    private static readonly Counter<long> s_pushes = s_meter.CreateCounter<long>("pilot_xds_pushes", description: "xDS responses sent to proxies, by type (cds, eds, lds, rds, sds)");
    private static readonly Counter<long> s_rejects = s_meter.CreateCounter<long>("pilot_total_xds_rejects", description: "xDS responses proxies rejected (NACKed), by type");
    private static readonly Dictionary<string, Counter<long>> s_typeRejects = new(StringComparer.Ordinal)
    {
        ["cds"] = s_meter.CreateCounter<long>("pilot_xds_cds_reject", description: "CDS responses proxies rejected (NACKed)"),
        ["eds"] = s_meter.CreateCounter<long>("pilot_xds_eds_reject", description: "EDS responses proxies rejected (NACKed)"),
        ["lds"] = s_meter.CreateCounter<long>("pilot_xds_lds_reject", description: "LDS responses proxies rejected (NACKed)"),
        ["rds"] = s_meter.CreateCounter<long>("pilot_xds_rds_reject", description: "RDS responses proxies rejected (NACKed)"),
    };

    private static readonly Counter<long> s_internalErrors = s_meter.CreateCounter<long>("pilot_total_xds_internal_errors", description: "xDS streams ended by an error of the control plane's own (not the client's)");
    private static readonly Histogram<double> s_pushTime = s_meter.CreateHistogram("pilot_xds_push_time", unit: null, description: "Seconds from a stream waking for a change to its response for a type being written, by type",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_timeBuckets });
    private static readonly Histogram<double> s_sendTime = s_meter.CreateHistogram("pilot_xds_send_time", unit: null, description: "Seconds to write one xDS response to its stream",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_timeBuckets });
    private static readonly Histogram<double> s_convergence = s_meter.CreateHistogram("pilot_proxy_convergence_time", unit: null, description: "Seconds from a change reaching this frontend's cache to a proxy being sent it",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_timeBuckets });
    private static readonly ObservableGauge<long> s_connected = s_meter.CreateObservableGauge("pilot_xds", Connected, description: "Proxies connected to this process's frontend, by proxy type and version");

    private readonly StreamRegistry _registry;

    /// <summary>
    /// The metrics of a frontend whose open streams <paramref name="registry"/> lists. The
    /// instruments are the process's (one meter, as OpenTelemetry takes a meter name once); the
    /// connected-proxies gauge counts the streams of every frontend of the process.
    /// </summary>
    public XdsMetrics(StreamRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        registry.Metrics = this;
        s_registries[registry] = 0;
    }

    /// <summary>Istio's short name of an xDS type URL (<c>cds</c>, <c>eds</c>, <c>lds</c>, <c>rds</c>, <c>sds</c>), else <c>other</c>.</summary>
    public static string TypeOf(string typeUrl) => typeUrl switch
    {
        TypeUrls.Cluster => "cds",
        TypeUrls.ClusterLoadAssignment => "eds",
        TypeUrls.Listener => "lds",
        TypeUrls.RouteConfiguration => "rds",
        TypeUrls.Secret => "sds",
        _ => "other",
    };

    /// <summary>Records a protocol event of a stream: a response sent or one rejected.</summary>
    public void Record(ProxyEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var type = TypeOf(e.TypeUrl);
        switch (e.Kind)
        {
            case ProxyEventKind.Sent:
                s_pushes.Add(1, new KeyValuePair<string, object?>("type", type));
                break;
            case ProxyEventKind.Nacked:
                s_rejects.Add(1, new KeyValuePair<string, object?>("type", type));
                if (s_typeRejects.TryGetValue(type, out var counter))
                {
                    counter.Add(1);
                }

                break;
        }
    }

    /// <summary>Records a response written: how long the write took, how long since the stream woke for the change, and since the change reached the cache.</summary>
    public void Written(string typeUrl, TimeSpan send, TimeSpan? sinceWake, TimeSpan? sinceChange)
    {
        var type = new KeyValuePair<string, object?>("type", TypeOf(typeUrl));
        s_sendTime.Record(send.TotalSeconds, type);
        if (sinceWake is { } wake)
        {
            s_pushTime.Record(wake.TotalSeconds, type);
        }

        if (sinceChange is { } change)
        {
            s_convergence.Record(change.TotalSeconds);
        }
    }

    /// <summary>Records a stream ended by the control plane's own error.</summary>
    public void InternalError() => s_internalErrors.Add(1);

    /// <inheritdoc/>
    public void Dispose() => s_registries.TryRemove(_registry, out _);

    /// <summary>Keeps the gauge referenced (it is read through the meter).</summary>
    internal static object Gauge => s_connected;

    private static IEnumerable<Measurement<long>> Connected() =>
        s_registries.Keys.SelectMany(r => r.Streams)
            .GroupBy(s => (Kind: s.Kind.ToString().ToLowerInvariant(), Version: s.ProxyVersion))
            .Select(g => new Measurement<long>(g.LongCount(), new KeyValuePair<string, object?>("type", g.Key.Kind), new KeyValuePair<string, object?>("version", g.Key.Version)));

    /// <summary>Makes the metrics when the host starts.</summary>
    internal sealed class Starter(XdsMetrics metrics) : Microsoft.Extensions.Hosting.IHostedService
    {
        /// <summary>The metrics made.</summary>
        public XdsMetrics Metrics { get; } = metrics;

        /// <inheritdoc/>
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        /// <inheritdoc/>
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
