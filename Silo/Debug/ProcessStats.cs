using System.Diagnostics;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// What <c>/debug/stats</c> reports: the process's memory and CPU, and the frontend's
/// counters (streams, responses and bytes sent, resource wrappers built by all its scope caches,
/// and versions one cache took from another). Benchmarks read it
/// to attribute memory to streams and grains. It always answers promptly: the one cluster call
/// (the activation count) is bounded, and when it fails <see cref="Silo"/> says why and
/// <see cref="GrainActivations"/> is null, so a frontend that lost its silo still reports itself.
/// </summary>
public sealed record ProcessStats(
    long RssBytes,
    long ManagedHeapBytes,
    double CpuSeconds,
    int Streams,
    long ResponsesSent,
    long BytesSent,
    long ResourcesBuilt,
    long CacheEpoch,
    int? GrainActivations,
    SiloConnection Silo,
    long ResourcesShared = 0,
    IReadOnlyDictionary<string, long>? OrleansMessagesSent = null)
{
    /// <summary>How long the cluster may take to answer before the stats report it unreachable.</summary>
    public static readonly TimeSpan SiloCallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Reads the stats; with <paramref name="collect"/> a full blocking GC runs first, so the heap figure is live data only.</summary>
    public static async Task<ProcessStats> ReadAsync(IServiceProvider services, bool collect)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (collect)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        using var process = Process.GetCurrentProcess();
        var registry = services.GetService<StreamRegistry>();
        var cache = services.GetService<ResourceCache>();
        var interner = services.GetService<ResourceInterner>();
        var (responses, bytes) = registry?.Totals ?? (0, 0);
        int? activations = null;
        SiloConnection silo;
        try
        {
            activations = await services.GetRequiredService<IGrainFactory>().GetGrain<global::Orleans.Runtime.IManagementGrain>(0)
                .GetTotalActivationCount().WaitAsync(SiloCallTimeout);
            silo = new SiloConnection(true, null);
        }
        catch (TimeoutException)
        {
            silo = new SiloConnection(false, $"the cluster did not answer within {SiloCallTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception exception)
        {
            silo = new SiloConnection(false, exception.GetBaseException().Message);
        }

        return new ProcessStats(
            process.WorkingSet64,
            GC.GetTotalMemory(forceFullCollection: false),
            process.TotalProcessorTime.TotalSeconds,
            registry?.Count ?? 0,
            responses,
            bytes,
            interner?.Built ?? cache?.AnyBuilt ?? 0,
            cache?.Current.Epoch ?? -1,
            activations,
            silo,
            interner?.Shared ?? 0,
            services.GetService<OrleansMessageCounts>()?.Sent);
    }
}
