using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>Settings of the xDS frontend (section <c>Mesh:Frontend</c>).</summary>
public sealed class XdsFrontendOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Frontend";

    /// <summary>
    /// Most resource names one DiscoveryRequest may carry; a request with more ends its
    /// stream with InvalidArgument. Count; default 100,000.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxResourceNamesPerRequest { get; set; } = 100_000;

    /// <summary>Longest resource name or type URL accepted, in characters; default 4,096.</summary>
    [Range(1, int.MaxValue)]
    public int MaxNameLength { get; set; } = 4_096;

    /// <summary>
    /// How often the frontend renews its scope subscriptions and checks that its cache is
    /// at the scope's epoch. Default 30 s.
    /// </summary>
    public TimeSpan SubscriptionRenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most streams of one frontend process pushing a config change at the same time; the
    /// rest wait their turn, so a burst of changes cannot starve request handling. Count;
    /// default 100, as Istio's PILOT_PUSH_THROTTLE.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConcurrentPushes { get; set; } = 100;

    /// <summary>
    /// How often each stream's sent and ACKed versions are reported to its ProxyGrain (NACKs and
    /// subscription changes are reported at once). Default 10 s.
    /// </summary>
    public TimeSpan ProxyReportInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a new stream waits for the cache's first fill before failing with Unavailable. Default 30 s.</summary>
    public TimeSpan CacheReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the cache of a scope no stream uses any more is kept (with its subscription)
    /// before it is dropped, so that a proxy reconnecting at once finds it warm. Default 1 min.
    /// </summary>
    public TimeSpan ScopeCacheLinger { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many subscribed names of each type a stream reports (to its ProxyGrain and
    /// <c>/debug/syncz</c>) as a sample beside the count: the first names in ordinal order.
    /// Count; default 100.
    /// </summary>
    [Range(0, 10_000)]
    public int SubscriptionSampleSize { get; set; } = 100;

    /// <summary>
    /// Most distinct type URLs one stream may ask for (known or not: each costs the stream its own
    /// subscription state); asking for one more ends the stream with InvalidArgument. Count;
    /// default 64 (the mesh serves 4 types; Envoy asks for a handful more).
    /// </summary>
    [Range(1, 10_000)]
    public int MaxTypeUrlsPerStream { get; set; } = 64;

    /// <summary>
    /// How long a stream lives before the frontend ends it gracefully: it asks the connection to
    /// close (HTTP/2 GOAWAY: no new streams on it) and ends the stream with Unavailable, so the
    /// proxy reconnects wherever its load balancer sends it and a frontend added later gets load.
    /// Default 30 min, as Istio's MaxServerConnectionAge; <see cref="Timeout.InfiniteTimeSpan"/>: never.
    /// </summary>
    public TimeSpan MaxStreamAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The share of <see cref="MaxStreamAge"/> by which each stream's age limit is moved at
    /// random, either way, so that streams opened together do not all reconnect together.
    /// Default 0.1 (plus or minus 10%, as gRPC's MaxConnectionAge jitter).
    /// </summary>
    [Range(0.0, 0.5)]
    public double MaxStreamAgeJitter { get; set; } = 0.1;

    /// <summary>
    /// On shutdown (SIGTERM), new streams are refused at once and each open stream ends with
    /// Unavailable at a random moment within this period, so that the proxies of a frontend going
    /// away reconnect to the others spread out rather than all in the same instant. Keep it under
    /// <c>Mesh:Shutdown:DrainTimeout</c>. Default 2 s; 0 ends every stream at once.
    /// </summary>
    public TimeSpan DrainSpread { get; set; } = TimeSpan.FromSeconds(2);
}
