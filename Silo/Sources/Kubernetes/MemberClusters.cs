using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// The member clusters this deployment reads: the Kubernetes APIs (from <c>--clusters FILE</c>,
/// a single <c>--kubeconfig FILE</c>, or in-cluster credentials when run in a pod with no
/// source flag) and whether the YAML directory is read too.
/// </summary>
public sealed partial class MemberClusters
{
    private static readonly HashSet<string> s_keys = new(StringComparer.Ordinal) { "id", "kubeconfig", "network", "region", "zone" };

    /// <summary>Creates the set.</summary>
    public MemberClusters(IReadOnlyList<MemberClusterSpec> kubernetes, bool readsDirectory)
    {
        Kubernetes = kubernetes;
        ReadsDirectory = readsDirectory;
    }

    /// <summary>The Kubernetes APIs read, one per member cluster.</summary>
    public IReadOnlyList<MemberClusterSpec> Kubernetes { get; }

    /// <summary>True when the YAML directory (<c>--config DIR</c>, or the sample mesh) is a source.</summary>
    public bool ReadsDirectory { get; }

    /// <summary>
    /// Works out the sources from configuration: <c>--clusters</c> and <c>--kubeconfig</c> name
    /// Kubernetes APIs; <c>--config</c> names the directory; with none of them, a process in a
    /// pod reads its own cluster in-cluster and any other serves the sample mesh. Throws
    /// <see cref="MeshStartupException"/> naming the flag, line and field of a mistake.
    /// </summary>
    public static MemberClusters From(IConfiguration configuration, Func<bool> isInCluster)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var kubernetes = configuration.GetSection(KubernetesSourceOptions.Section).Get<KubernetesSourceOptions>() ?? new KubernetesSourceOptions();
        var yaml = configuration.GetSection(YamlSourceOptions.Section).Get<YamlSourceOptions>() ?? new YamlSourceOptions();
        var directoryGiven = configuration[$"{YamlSourceOptions.Section}:Directory"] is not null;
        var specs = new List<MemberClusterSpec>();
        if (kubernetes.ClustersFile is { } file)
        {
            specs.AddRange(ReadClustersFile(file));
        }

        if (kubernetes.Kubeconfig is { } kubeconfig)
        {
            if (!File.Exists(kubeconfig))
            {
                throw new MeshStartupException($"--kubeconfig {kubeconfig}: the file does not exist");
            }

            specs.Add(new MemberClusterSpec(yaml.ClusterId, Path.GetFullPath(kubeconfig), null, null, null));
        }

        if (specs.Count == 0 && !directoryGiven && isInCluster())
        {
            specs.Add(new MemberClusterSpec(yaml.ClusterId, null, null, null, null));
        }

        var readsDirectory = directoryGiven || specs.Count == 0;
        if (readsDirectory && specs.FirstOrDefault(s => s.Id == yaml.ClusterId) is { } clash)
        {
            throw new MeshStartupException($"--cluster-id {yaml.ClusterId}: names both the --config directory and the Kubernetes API of {clash.Kubeconfig ?? "in-cluster"}; give the directory another --cluster-id");
        }

        var duplicate = specs.GroupBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MeshStartupException($"member cluster id '{duplicate.Key}' is used twice (--cluster-id and --clusters)");
        }

        return new MemberClusters(specs, readsDirectory);
    }

    /// <summary>
    /// Reads a clusters file: a YAML list with one entry per member cluster
    /// (<c>id</c> required and unique; <c>kubeconfig</c> relative to the file's folder or
    /// absolute; <c>network</c>, <c>region</c>, <c>zone</c> optional).
    /// </summary>
    public static IReadOnlyList<MemberClusterSpec> ReadClustersFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MeshStartupException($"--clusters {path}: {exception.Message}");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception exception) when (exception is YamlException or InvalidOperationException or ArgumentException)
        {
            var line = exception is YamlException yaml ? $" line {yaml.Start.Line}" : string.Empty;
            throw new MeshStartupException($"--clusters {path}{line}: not valid YAML: {(exception.InnerException ?? exception).Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlSequenceNode list)
        {
            throw new MeshStartupException($"--clusters {path}: must be a YAML list with one entry per member cluster (id, kubeconfig, network, region, zone)");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var specs = new List<MemberClusterSpec>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var entry = list.Children[i];
            string Where(YamlNode node, string field) => $"--clusters {path} line {node.Start.Line}: [{i}].{field}";
            if (entry is not YamlMappingNode map)
            {
                throw new MeshStartupException($"--clusters {path} line {entry.Start.Line}: [{i}]: must be a mapping with id and kubeconfig");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (!s_keys.Contains(key))
                {
                    throw new MeshStartupException($"{Where(keyNode, key)}: is not a known field (id, kubeconfig, network, region, zone)");
                }

                if (valueNode is not YamlScalarNode { Value: { Length: > 0 } value })
                {
                    throw new MeshStartupException($"{Where(valueNode, key)}: must be a non-empty string");
                }

                values[key] = value;
            }

            if (!values.TryGetValue("id", out var id))
            {
                throw new MeshStartupException($"{Where(map, "id")}: is required");
            }

            if (!ClusterId().IsMatch(id))
            {
                throw new MeshStartupException($"{Where(map, "id")}: '{id}' must be letters, digits, '.', '_' or '-' (at most 253)");
            }

            if (specs.Any(s => s.Id == id))
            {
                throw new MeshStartupException($"{Where(map, "id")}: '{id}' is used by an earlier entry");
            }

            string? kubeconfig = null;
            if (values.TryGetValue("kubeconfig", out var configured))
            {
                kubeconfig = Path.GetFullPath(Path.Combine(folder, configured));
                if (!File.Exists(kubeconfig))
                {
                    throw new MeshStartupException($"{Where(map, "kubeconfig")}: {kubeconfig} does not exist");
                }
            }

            specs.Add(new MemberClusterSpec(id, kubeconfig, values.GetValueOrDefault("network"), values.GetValueOrDefault("region"), values.GetValueOrDefault("zone")));
        }

        if (specs.Count == 0)
        {
            throw new MeshStartupException($"--clusters {path}: lists no member cluster");
        }

        return specs;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,253}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterId();
}
