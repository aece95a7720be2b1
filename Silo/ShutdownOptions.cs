using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Silo;

/// <summary>How the process stops on SIGTERM or Ctrl+C (section <c>Mesh:Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Shutdown";

    /// <summary>
    /// The most the whole stop may take: open xDS streams are ended at once with Unavailable,
    /// then Kestrel, the sources and the Orleans silo (deactivating its grains) stop within this
    /// bound; it is the host's shutdown timeout. Time span; default 5 s (Kubernetes' default grace
    /// period is 30 s, so the process is done well before it would be killed).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
