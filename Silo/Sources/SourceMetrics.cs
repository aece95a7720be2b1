using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// The sources' metrics (meter <see cref="MeterName"/>): Kubernetes watch events (Istio's
/// <c>pilot_k8s_reg_events</c>), objects each member cluster's source rejects, and whether each
/// member cluster's API answers. Labels are bounded: a kind, an event, a member cluster id.
/// </summary>
public static class SourceMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Orleans.Sources";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly ConcurrentDictionary<string, long> s_rejected = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> s_up = new(StringComparer.Ordinal);

    private static readonly Counter<long> s_events = s_meter.CreateCounter<long>(
        "pilot_k8s_reg_events", description: "Events of the Kubernetes watches, by kind (type) and event (add, update, delete)");

    private static readonly ObservableGauge<long> s_rejectedGauge = s_meter.CreateObservableGauge(
        "mesh_config_rejected_objects",
        () => s_rejected.Select(r => new Measurement<long>(r.Value, new KeyValuePair<string, object?>("cluster", r.Key))),
        description: "Objects the source of each member cluster rejects now (invalid, unreadable, duplicate)");

    private static readonly ObservableGauge<int> s_upGauge = s_meter.CreateObservableGauge(
        "mesh_member_cluster_up",
        () => s_up.Select(u => new Measurement<int>(u.Value ? 1 : 0, new KeyValuePair<string, object?>("cluster", u.Key))),
        description: "1 while the member cluster's source reaches its API (or reads its directory), 0 while it does not");

    /// <summary>Records a Kubernetes watch event of <paramref name="kind"/>: <c>add</c>, <c>update</c> or <c>delete</c>.</summary>
    public static void WatchEvent(string kind, string @event) =>
        s_events.Add(1, new KeyValuePair<string, object?>("type", kind), new KeyValuePair<string, object?>("event", @event));

    /// <summary>Records how many objects member cluster <paramref name="clusterId"/>'s source rejects now.</summary>
    public static void Rejected(string clusterId, int count) => s_rejected[clusterId] = count;

    /// <summary>Records whether member cluster <paramref name="clusterId"/>'s source reaches its objects.</summary>
    public static void Up(string clusterId, bool up) => s_up[clusterId] = up;

    /// <summary>Keeps the gauges alive with the meter (they are read through it).</summary>
    internal static object Gauges => (s_rejectedGauge, s_upGauge);
}
