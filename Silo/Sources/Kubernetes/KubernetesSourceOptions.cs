using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>Settings of the Kubernetes API source (section <c>Mesh:Kubernetes</c>).</summary>
public sealed class KubernetesSourceOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Kubernetes";

    /// <summary>
    /// A single member cluster's kubeconfig (<c>--kubeconfig FILE</c>): its current context is
    /// read, as member cluster <see cref="YamlSourceOptions.ClusterId"/>. Default: none.
    /// </summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The clusters file (<c>--clusters FILE</c>): one entry per member cluster. Default: none.</summary>
    public string? ClustersFile { get; set; }

    /// <summary>
    /// Every kind is listed again this often, whatever the watches said, so that an event missed
    /// anywhere (the watch, the network, this process) is repaired. Default 10 min.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A watch asks the API server to end it after this long, and is opened again from where it stopped. Default 5 min.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First wait before retrying a failed list or watch; it doubles, with jitter, up to <see cref="MaxRetryDelay"/>. Default 200 ms.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries of a failed list or watch. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a kind whose CRD is not installed is looked for again. Default 1 min.</summary>
    public TimeSpan NotInstalledRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Quiet period: a burst of watch events is applied once none arrived for this long. Default 100 ms.</summary>
    public TimeSpan DebounceQuiet { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Maximum delay: a burst is applied at the latest this long after its first event. Default 10 s.</summary>
    public TimeSpan DebounceMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often every silo makes sure each member cluster's watcher runs somewhere (it bounds how long a watch stays down after its silo dies). Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan KeeperInterval { get; set; } = TimeSpan.FromSeconds(5);
}
