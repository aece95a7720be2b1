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
    /// Default: the sample mesh; see <see cref="DefaultDirectory"/>.
    /// </summary>
    public string Directory { get; set; } = DefaultDirectory(Environment.CurrentDirectory);

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

    /// <summary>
    /// Most YAML files one pass lists; past it the walk stops and the files it did not reach
    /// keep what they last held. Default 200,000 (a mesh of 50,000 services kept one file per
    /// object is 100,000 files).
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxFiles { get; set; } = 200_000;

    /// <summary>Most bytes of YAML one pass may read; past it the walk stops as for <see cref="MaxFiles"/>. Default 1 GiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTotalBytes { get; set; } = 1L << 30;

    /// <summary>
    /// While the directory cannot be listed (deleted, unmounted, unreadable), it is looked for
    /// this often, so it is picked up about this long after it returns. Default 250 ms.
    /// </summary>
    public TimeSpan UnavailablePollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// With several silos (<c>--redis</c>), how long the lease of the silo reading the directory
    /// lasts without renewal: when that silo dies, another takes over at most about this long
    /// after. Default 10 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reading silo renews its lease, and a standing-by silo asks for it. Default 3 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The sample mesh to serve when no directory is given: run from a checkout of the
    /// repository (the current directory or one above it holds <c>Mesh.Orleans.sln</c> and
    /// <c>samples/</c>), the repository's own <c>samples/</c>, so that editing them changes what
    /// is served; otherwise the copy shipped beside the executable.
    /// </summary>
    public static string DefaultDirectory(string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(workingDirectory);
        var folder = new DirectoryInfo(workingDirectory);
        for (var level = 0; folder is not null && level < 64; level++, folder = folder.Parent)
        {
            var samples = Path.Combine(folder.FullName, "samples");
            if (File.Exists(Path.Combine(folder.FullName, "Mesh.Orleans.sln")) && System.IO.Directory.Exists(samples))
            {
                return samples;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "samples");
    }

    /// <summary>
    /// Longest wait between retries after the source failed unexpectedly (the wait doubles from
    /// 100 ms up to this). Default 30 s.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
