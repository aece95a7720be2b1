namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// What changed in one member cluster since the source's last message: the objects added or
/// replaced, and the keys of those removed. A source numbers its messages within an epoch (a
/// new epoch each time it starts); the ClusterGrain applies a message only when it follows the
/// last one it applied, and otherwise asks for a <see cref="Full"/> message, which replaces
/// everything the cluster held. So a lost message, a restarted source or a reactivated grain
/// costs one full message, never a silently missed change.
/// </summary>
/// <param name="Epoch">The source's run: a new value each time it starts.</param>
/// <param name="Sequence">The message's number within <paramref name="Epoch"/>, one more than the last.</param>
/// <param name="Full">True when the message holds every object of the cluster (and <paramref name="Deleted"/> is empty).</param>
/// <param name="Services">Services added or replaced.</param>
/// <param name="EndpointSlices">EndpointSlices added or replaced.</param>
/// <param name="VirtualServices">VirtualServices added or replaced.</param>
/// <param name="Deleted">Objects removed.</param>
/// <param name="Rejected">The source's rejections, whole, when they changed; null when they did not.</param>
/// <param name="DestinationRules">DestinationRules added or replaced.</param>
/// <param name="Pods">Pods added or whose labels or IP changed (a change of status alone is not sent).</param>
/// <param name="Gateways">Gateways added or replaced; null means none.</param>
/// <param name="ServiceEntries">ServiceEntries added or replaced; null reads as none.</param>
/// <param name="Sidecars">Sidecars added or replaced; null reads as none.</param>
/// <param name="EnvoyFilters">EnvoyFilters added or replaced; null reads as none.</param>
/// <param name="PeerAuthentications">PeerAuthentications added or replaced; null reads as none.</param>
/// <param name="AuthorizationPolicies">AuthorizationPolicies added or replaced; null reads as none.</param>
/// <param name="Secrets">TLS credential Secrets added or replaced (they carry private keys: never logged); null reads as none.</param>
[GenerateSerializer, Immutable]
public sealed record ClusterChanges(
    [property: Id(0)] Guid Epoch,
    [property: Id(1)] long Sequence,
    [property: Id(2)] bool Full,
    [property: Id(3)] IReadOnlyList<MeshService> Services,
    [property: Id(4)] IReadOnlyList<MeshEndpointSlice> EndpointSlices,
    [property: Id(5)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(6)] IReadOnlyList<MeshObjectKey> Deleted,
    [property: Id(7)] IReadOnlyList<RejectedObject>? Rejected,
    [property: Id(8)] IReadOnlyList<DestinationRuleSpec> DestinationRules,
    [property: Id(9)] IReadOnlyList<MeshPod> Pods,
    [property: Id(10)] IReadOnlyList<GatewaySpec>? Gateways = null,
    [property: Id(11)] IReadOnlyList<ServiceEntrySpec>? ServiceEntries = null,
    [property: Id(12)] IReadOnlyList<SidecarSpec>? Sidecars = null,
    [property: Id(13)] IReadOnlyList<EnvoyFilterSpec>? EnvoyFilters = null,
    [property: Id(14)] IReadOnlyList<PeerAuthenticationSpec>? PeerAuthentications = null,
    [property: Id(15)] IReadOnlyList<AuthorizationPolicySpec>? AuthorizationPolicies = null,
    [property: Id(16)] IReadOnlyList<MeshSecret>? Secrets = null)
{
    /// <summary>The whole of <paramref name="config"/> as one full message.</summary>
    public static ClusterChanges FullOf(ClusterConfig config, Guid epoch, long sequence)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(epoch, sequence, Full: true, config.Services, config.EndpointSlices, config.VirtualServices, [], config.Rejected,
            config.DestinationRules ?? [], config.Pods ?? [], config.Gateways ?? [], config.ServiceEntries ?? [])
        {
            Sidecars = config.Sidecars ?? [],
            EnvoyFilters = config.EnvoyFilters ?? [],
            PeerAuthentications = config.PeerAuthentications ?? [],
            AuthorizationPolicies = config.AuthorizationPolicies ?? [],
            Secrets = config.Secrets ?? [],
        };
    }

    /// <summary>How many objects the message adds, replaces or removes.</summary>
    public int Count => Services.Count + EndpointSlices.Count + VirtualServices.Count + DestinationRules.Count + Pods.Count + (Gateways?.Count ?? 0) + (ServiceEntries?.Count ?? 0) + Deleted.Count
        + (Sidecars?.Count ?? 0)
        + (EnvoyFilters?.Count ?? 0) + (PeerAuthentications?.Count ?? 0) + (AuthorizationPolicies?.Count ?? 0) + (Secrets?.Count ?? 0);

    /// <summary>Every object added or replaced.</summary>
    public IEnumerable<object> Upserted => Services.Cast<object>().Concat(EndpointSlices).Concat(VirtualServices).Concat(DestinationRules).Concat(Pods).Concat(Gateways ?? []).Concat(ServiceEntries ?? [])
        .Concat(Sidecars ?? []).Concat(EnvoyFilters ?? []).Concat(PeerAuthentications ?? []).Concat(AuthorizationPolicies ?? []).Concat(Secrets ?? []);
}
