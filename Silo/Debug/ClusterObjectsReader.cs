using k8s;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// Reads the objects of every member cluster of the deployment from its ClusterGrain, for
/// <c>/debug/registryz</c>, <c>/debug/endpointz</c> and <c>/debug/configz</c>: on a silo and on a
/// frontend alike (a frontend reaches the grains through its Orleans client).
/// </summary>
internal static class ClusterObjectsReader
{
    /// <summary>What one member cluster answered: its objects, or why there are none.</summary>
    /// <param name="ClusterId">The member cluster's id.</param>
    /// <param name="Objects">Its objects, or null when its grain did not answer.</param>
    /// <param name="Error">Why it did not answer, or null.</param>
    public sealed record ClusterRead(string ClusterId, ClusterObjects? Objects, string? Error);

    /// <summary>
    /// The member clusters' objects of <paramref name="kinds"/> (all when null), at most
    /// <paramref name="limit"/> per cluster, in the order the clusters are configured (the YAML
    /// directory first). A cluster whose grain does not answer within two seconds is reported, not fatal.
    /// </summary>
    public static async Task<IReadOnlyList<ClusterRead>> ReadAsync(IServiceProvider services, IReadOnlyList<string>? kinds, int limit, CancellationToken cancellationToken)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        return await Task.WhenAll(MemberClusterIds(services).Select(async id =>
        {
            try
            {
                var objects = await grains.GetGrain<IClusterGrain>(id).GetObjectsAsync(kinds, limit).WaitAsync(ProcessStats.SiloCallTimeout, cancellationToken);
                return new ClusterRead(id, objects, objects.Loaded ? null : "not loaded yet: the cluster's grain has applied nothing from its source since it activated");
            }
            catch (Exception exception) when (exception is TimeoutException or OrleansException)
            {
                // The silo holding the grain is not answering: the other clusters still show.
                return new ClusterRead(id, null, exception.Message);
            }
        }));
    }

    /// <summary>The errors of <paramref name="reads"/> as the endpoints list them.</summary>
    public static IEnumerable<object> Errors(IEnumerable<ClusterRead> reads) =>
        reads.Where(r => r.Error is not null).Select(r => new { cluster = r.ClusterId, error = r.Error });

    /// <summary>
    /// The ids of the deployment's member clusters: the YAML directory's when it is read, then the
    /// Kubernetes ones. A frontend has no sources, so it reads the same settings the silos do.
    /// </summary>
    private static List<string> MemberClusterIds(IServiceProvider services)
    {
        var directoryCluster = services.GetRequiredService<IOptions<YamlSourceOptions>>().Value.ClusterId;
        MemberClusters clusters;
        try
        {
            clusters = services.GetService<MemberClusters>()
                ?? MemberClusters.From(services.GetRequiredService<IConfiguration>(), KubernetesClientConfiguration.IsInCluster);
        }
        catch (MeshStartupException)
        {
            // A frontend is not started with the silos' source settings checked (a kubeconfig it
            // cannot read, say): it still shows the cluster its --cluster-id names.
            return [directoryCluster];
        }

        var ids = new List<string>();
        if (clusters.ReadsDirectory)
        {
            ids.Add(directoryCluster);
        }

        ids.AddRange(clusters.Kubernetes.Select(c => c.Id));
        return ids.Distinct(StringComparer.Ordinal).ToList();
    }
}
