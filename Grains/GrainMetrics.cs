using System.Diagnostics.Metrics;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The grains' metrics (meter <see cref="MeterName"/>): resources built, scopes active in this
/// silo, listener conflicts. Labels are bounded (a grain kind, a conflict kind). One meter per
/// process, as Orleans makes grains without a meter factory of their own.
/// </summary>
public static class GrainMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Orleans.Grains";

    private static readonly Meter s_meter = new(MeterName);

    private static readonly Counter<long> s_builds = s_meter.CreateCounter<long>(
        "mesh_resource_builds_total", description: "xDS resources translated, by the grain kind that built them (service, gateway, workload)");

    private static readonly UpDownCounter<long> s_scopes = s_meter.CreateUpDownCounter<long>(
        "mesh_scope_count", description: "Scope grains active in this silo");

    private static readonly Counter<long> s_conflicts = s_meter.CreateCounter<long>(
        "pilot_conflict_outbound_listener", description: "Listeners of one name that two hostnames claimed (the first served, the other left out)");

    /// <summary>Records <paramref name="count"/> resources built by a grain of <paramref name="kind"/>.</summary>
    public static void Built(string kind, int count) => s_builds.Add(count, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Records a scope grain activated (+1) or deactivated (-1).</summary>
    public static void Scope(int delta) => s_scopes.Add(delta);

    /// <summary>Records a listener conflict.</summary>
    public static void Conflict() => s_conflicts.Add(1);
}
