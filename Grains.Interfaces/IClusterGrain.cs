using Mesh.Orleans.Grains.Interfaces.Model;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// One member cluster (keyed by its cluster id): the objects its source declared, indexed by
/// the hostnames they touch, and what was rejected. A change of some objects recomputes the
/// inputs of the hostnames they touch and pushes only those whose input changed.
/// </summary>
public interface IClusterGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies one message of the cluster's source. Returns false, applying nothing, when the
    /// message does not follow the last one applied (a message was lost, the source restarted,
    /// or this grain was reactivated and holds nothing): the source then sends a full message.
    /// </summary>
    Task<bool> ApplyChangesAsync(ClusterChanges changes);

    /// <summary>Replaces the cluster's declaration with <paramref name="config"/> (one full message) and pushes what changed.</summary>
    Task ApplyAsync(ClusterConfig config);

    /// <summary>The objects the source rejected in its last declaration, with reasons.</summary>
    Task<IReadOnlyList<RejectedObject>> GetRejectedAsync();

    /// <summary>
    /// The valid objects of the last declaration that refer to what the cluster does not have
    /// (a VirtualService for an unknown host or destination, an EndpointSlice without its Service).
    /// </summary>
    Task<IReadOnlyList<ConfigWarning>> GetWarningsAsync();

    /// <summary>The hostnames this cluster currently contributes to.</summary>
    Task<IReadOnlyList<string>> GetHostnamesAsync();

    /// <summary>
    /// The objects the cluster holds of <paramref name="kinds"/> (every kind when null; kinds as
    /// <see cref="MeshObjectKey.Kind"/> names them), by kind, namespace and name, at most
    /// <paramref name="limit"/> of them; Secrets by name only (see <see cref="ClusterObjects"/>).
    /// For the debug endpoints. Interleaved and read-only: it reads the index between the grain's turns.
    /// </summary>
    [AlwaysInterleave]
    Task<ClusterObjects> GetObjectsAsync(IReadOnlyList<string>? kinds, int limit);

    /// <summary>
    /// The Secret <paramref name="name"/> of <paramref name="ns"/> that holds a TLS credential (a
    /// gateway server's <c>credentialName</c>), for the xDS frontends' SDS only: it carries a
    /// private key. Held in memory, like every object of the cluster; the answer says whether the
    /// grain has applied its source's declaration since it activated (if not, "no such Secret"
    /// means "not known yet"). Interleaved: a lookup touches only the index.
    /// </summary>
    [AlwaysInterleave]
    Task<SecretLookup> GetSecretAsync(string ns, string name);

    /// <summary>
    /// The Sidecar resource that decides what the proxies of the sidecar scope
    /// <paramref name="scope"/> (<see cref="ScopeNames.SidecarScope"/> of this cluster) see, and
    /// from now on <paramref name="watcher"/> is told (<see cref="IScopeGrain.SetSidecarAsync"/>)
    /// whenever that changes. In memory only, renewed by the watcher like a workload's watch. Null
    /// while the grain has applied nothing from its source since it activated. Interleaved with
    /// the grain's other calls: the grain hands its batches to the very scopes that call this, and
    /// waits for them, so a scope's call must not wait for the batch (it touches only the watches).
    /// </summary>
    [AlwaysInterleave]
    Task<SidecarChoice?> WatchSidecarScopeAsync(string scope, IScopeGrain watcher);

    /// <summary>
    /// What the EnvoyFilters of this cluster did not do where <paramref name="reporter"/> (a scope)
    /// applied them: each patch that matched nothing or failed on an object, as a warning on its
    /// EnvoyFilter. Replaces what the reporter said before; an empty list clears it.
    /// </summary>
    [OneWay]
    Task ReportPatchProblemsAsync(string reporter, IReadOnlyList<ConfigWarning> problems);

    /// <summary>Ends a watch of <see cref="WatchSidecarScopeAsync"/> (interleaved, as it is).</summary>
    [AlwaysInterleave]
    Task UnwatchSidecarScopeAsync(string scope, IScopeGrain watcher);

    /// <summary>
    /// What the workload at <paramref name="ip"/> serves, and from now on <paramref name="watcher"/>
    /// is told (<see cref="IWorkloadGrain.UpdateAsync"/>) whenever that changes. The watch lives
    /// in memory only: a watcher renews it now and then, which also heals a reactivated grain.
    /// Null while the grain has applied nothing from its source since it activated (it does not
    /// know yet); the watcher is told once it does. Interleaved with the grain's pushes (which
    /// change nothing a watch reads once they wait), so a proxy's first response does not wait
    /// for a batch to reach every scope; likewise the other watch calls.
    /// </summary>
    [AlwaysInterleave]
    Task<WorkloadInputs?> WatchWorkloadAsync(string ip, IWorkloadGrain watcher);

    /// <summary>Ends a watch.</summary>
    [AlwaysInterleave]
    Task UnwatchWorkloadAsync(string ip, IWorkloadGrain watcher);

    /// <summary>
    /// What configures the gateway workloads carrying <paramref name="labels"/> (the Gateways
    /// selecting them and the VirtualServices bound to those), and from now on
    /// <paramref name="watcher"/> is told (<see cref="IGatewayGrain.UpdateAsync"/>) whenever that
    /// changes. Like a workload watch, it lives in memory and is renewed by the watcher; null
    /// while the grain has applied nothing since it activated.
    /// </summary>
    [AlwaysInterleave]
    Task<GatewayInputs?> WatchGatewayAsync(IReadOnlyDictionary<string, string> labels, string? ns, IGatewayGrain watcher);

    /// <summary>Ends a gateway watch.</summary>
    [AlwaysInterleave]
    Task UnwatchGatewayAsync(IReadOnlyDictionary<string, string> labels, string? ns, IGatewayGrain watcher);
}

/// <summary>What <see cref="IClusterGrain.GetSecretAsync"/> answers.</summary>
/// <param name="Loaded">Whether the grain has applied its source's declaration since it activated.</param>
/// <param name="Secret">The Secret, or null when the cluster has none by that name (or is not loaded).</param>
[GenerateSerializer, Immutable]
public sealed record SecretLookup(
    [property: Id(0)] bool Loaded,
    [property: Id(1)] MeshSecret? Secret);
