using System.Globalization;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>CLUSTER patches (Istio's cluster_patch.go): MERGE, REMOVE, and ADD after the generated clusters.</summary>
public static partial class EnvoyFilterPatcher
{
    private static List<Cluster> PatchClusters(Run run, List<Cluster> clusters)
    {
        var kept = new List<Cluster>(clusters.Count);
        foreach (var cluster in clusters)
        {
            var context = ContextOf(run.Context.Kind, cluster.Name.StartsWith("inbound|", StringComparison.Ordinal));
            var removed = false;
            foreach (var patch in run.Patches(EnvoyFilterApplyTo.Cluster))
            {
                if (patch.Operation is not (EnvoyFilterOperation.Remove or EnvoyFilterOperation.Merge)
                    || !ContextMatches(patch.Match.Context, context) || !ClusterMatches(cluster, patch))
                {
                    continue;
                }

                if (patch.Operation == EnvoyFilterOperation.Remove)
                {
                    run.Applied(patch);
                    removed = true;
                    break;
                }

                if (MergeTransportSocket(run, patch, cluster) is { } merged)
                {
                    if (merged)
                    {
                        run.Applied(patch);
                    }

                    continue;
                }

                ProtoMerge.Merge(cluster, patch.Value!);
                run.Applied(patch);
            }

            if (!removed)
            {
                kept.Add(cluster);
            }
        }

        foreach (var patch in run.Patches(EnvoyFilterApplyTo.Cluster))
        {
            if (patch.Operation == EnvoyFilterOperation.Add && AddsFor(patch.Match.Context, run.Context))
            {
                var added = patch.Copy<Cluster>();
                if (added.Type == Cluster.Types.DiscoveryType.Eds && added.EdsClusterConfig is null)
                {
                    // Envoy rejects an EDS cluster without its EDS configuration, and with it every cluster of the update.
                    run.Fail(patch, $"the added Cluster {added.Name} is of type EDS without eds_cluster_config, which Envoy rejects: it is not added");
                    continue;
                }

                kept.Add(added);
                run.Applied(patch);
            }
        }

        return kept;
    }

    /// <summary>
    /// Istio's transport socket rule for a cluster MERGE whose value has a transport socket: the
    /// socket of the same name (the cluster's own, or among its transport socket matches) has its
    /// typed_config merged; a cluster with none takes the value's; and nothing else of the value is
    /// merged. Null when the rule does not apply (the value has no transport socket); otherwise
    /// whether the cluster changed.
    /// </summary>
    private static bool? MergeTransportSocket(Run run, Active patch, Cluster cluster)
    {
        var value = (Cluster)patch.Value!;
        if (value.TransportSocket is not { } socket)
        {
            return null;
        }

        TransportSocket? existing = null;
        if (cluster.TransportSocketMatches.Count > 0)
        {
            existing = cluster.TransportSocketMatches.Select(m => m.TransportSocket).FirstOrDefault(t => t?.Name == socket.Name);
            if (existing is null)
            {
                // Istio: no socket of that name among the matches changes nothing.
                return false;
            }
        }
        else if (cluster.TransportSocket?.Name == socket.Name)
        {
            existing = cluster.TransportSocket;
        }

        if (existing is null)
        {
            cluster.TransportSocket = ProtoMerge.Clone(socket);
            return true;
        }

        if (existing.TypedConfig is null || socket.TypedConfig is null)
        {
            return true;
        }

        if (MergeTypedConfig(run, patch, existing.TypedConfig, socket.TypedConfig, $"cluster {cluster.Name} transport socket {socket.Name}") is not { } merged)
        {
            return false;
        }

        existing.TypedConfig = merged;
        return true;
    }

    /// <summary>
    /// Istio's <c>clusterMatch</c>: by name when the match names one; otherwise by the port, subset
    /// and service of a <c>direction|port|subset|host</c> name.
    /// </summary>
    private static bool ClusterMatches(Cluster cluster, Active patch)
    {
        if (patch.Match.Cluster is not { } match)
        {
            return true;
        }

        if (match.Name is { } name)
        {
            return name == cluster.Name;
        }

        var parts = cluster.Name.Split('|');
        var port = parts.Length == 4 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0;
        var subset = parts.Length == 4 ? parts[2] : string.Empty;
        var host = parts.Length == 4 ? parts[3] : string.Empty;
        return (match.Subset is null || match.Subset == subset)
            && (match.Service is null || match.Service == host)
            && (match.PortNumber == 0 || match.PortNumber == port);
    }
}
