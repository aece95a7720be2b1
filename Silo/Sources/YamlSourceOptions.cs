using System.ComponentModel.DataAnnotations;
using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>Settings of the YAML directory source (section <c>Mesh:Source</c>; <c>--config DIR</c> sets the directory).</summary>
public sealed class YamlSourceOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Source";

    /// <summary>
    /// The directory of Kubernetes and Istio YAML (every <c>*.yaml</c> and <c>*.yml</c> under it).
    /// Default: the sample mesh shipped beside the executable.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(AppContext.BaseDirectory, "samples");

    /// <summary>The member cluster id the directory stands for. Default <c>Kubernetes</c>, as Istio names the local cluster.</summary>
    [Required]
    public string ClusterId { get; set; } = MeshNames.DefaultClusterId;

    /// <summary>Quiet period: a burst of file changes is pushed once none arrived for this long. Default 100 ms.</summary>
    public TimeSpan DebounceQuiet { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Maximum delay: a burst is pushed at the latest this long after its first change. Default 10 s, as Istio's PILOT_DEBOUNCE_MAX.</summary>
    public TimeSpan DebounceMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the whole directory is read again even without a file event (a safety net for missed events). Default 60 s.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest file read, in bytes; a larger file is rejected whole (its last good objects keep serving). Default 8 MiB.</summary>
    [Range(1, int.MaxValue)]
    public int MaxFileBytes { get; set; } = 8 * 1024 * 1024;
}
