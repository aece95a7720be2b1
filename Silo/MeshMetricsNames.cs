namespace Mesh.Orleans.Silo;

/// <summary>The meters a process exports on <c>/metrics</c>.</summary>
public static class MeshMetricsNames
{
    /// <summary>The mesh's meters (xDS frontend, sources, grains) and Orleans' own.</summary>
    public static string[] Meters { get; } = [Xds.Frontend.XdsMetrics.MeterName, Sources.SourceMetrics.MeterName, Grains.GrainMetrics.MeterName, "Microsoft.Orleans"];
}
