using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Security;

/// <summary>
/// The mutual TLS mode of a workload, composed from the PeerAuthentications that apply to it as
/// Istio's <c>ComposePeerAuthentication</c> (pilot/pkg/security/authn/policy_applier.go) does:
/// the mesh's (root namespace, no selector), its namespace's (no selector) and its own (a selector
/// its labels include; selecting ones in the root namespace are ignored), the oldest of each scope;
/// each mode not UNSET overrides the one above, starting from PERMISSIVE; then the workload
/// policy's <c>portLevelMtls</c> per workload port (UNSET there: the workload's mode). Pure.
/// </summary>
public static class PeerAuthentications
{
    /// <summary>The label Istio's injector puts on a pod with a sidecar; auto mutual TLS sends TLS only to endpoints that carry it.</summary>
    public const string TlsModeLabel = "security.istio.io/tlsMode";

    /// <summary>The composed modes for a workload of <paramref name="ns"/> with <paramref name="labels"/>.</summary>
    public static EffectiveMtls Compose(IEnumerable<PeerAuthenticationSpec> all, string ns, IReadOnlyDictionary<string, string> labels, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentNullException.ThrowIfNull(labels);
        PeerAuthenticationSpec? mesh = null, space = null, workload = null;
        foreach (var policy in all)
        {
            var root = policy.Namespace == rootNamespace;
            if (policy.Selector is not { Count: > 0 } selector)
            {
                if (root)
                {
                    mesh = Older(mesh, policy);
                }
                else if (policy.Namespace == ns)
                {
                    space = Older(space, policy);
                }
            }
            else if (!root && policy.Namespace == ns && selector.All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value))
            {
                workload = Older(workload, policy);
            }
        }

        var mode = MtlsMode.Permissive;
        foreach (var policy in new[] { mesh, space, workload })
        {
            if (policy is { Mode: not MtlsMode.Unset })
            {
                mode = policy.Mode;
            }
        }

        var perPort = new SortedDictionary<int, MtlsMode>();
        foreach (var (port, portMode) in workload?.PortLevelMtls ?? new Dictionary<int, MtlsMode>())
        {
            perPort[port] = portMode == MtlsMode.Unset ? mode : portMode;
        }

        return new EffectiveMtls(mode, perPort);
    }

    /// <summary>
    /// The inbound chains a sidecar serves for <paramref name="mode"/>: STRICT always mutual TLS
    /// only, DISABLE plaintext only; PERMISSIVE both when the pod is in the mesh (labelled
    /// <see cref="TlsModeLabel"/>=istio, as the injector labels it), else plaintext only: auto mutual
    /// TLS sends TLS only to such pods, and a pod outside the mesh has no certificate to serve.
    /// </summary>
    public static MtlsMode Served(MtlsMode mode, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return mode switch
        {
            MtlsMode.Strict => MtlsMode.Strict,
            MtlsMode.Permissive or MtlsMode.Unset => labels.TryGetValue(TlsModeLabel, out var value) && value == "istio" ? MtlsMode.Permissive : MtlsMode.Disable,
            _ => MtlsMode.Disable,
        };
    }

    // Of two policies of one scope the one created first applies (then by name, as Istio sorts them).
    private static PeerAuthenticationSpec Older(PeerAuthenticationSpec? current, PeerAuthenticationSpec candidate)
    {
        if (current is null)
        {
            return candidate;
        }

        var a = current.CreationTimestamp ?? DateTimeOffset.MinValue;
        var b = candidate.CreationTimestamp ?? DateTimeOffset.MinValue;
        return b < a || (b == a && string.CompareOrdinal(candidate.Name, current.Name) < 0) ? candidate : current;
    }
}

/// <summary>A workload's composed mutual TLS modes: its own, and those its PeerAuthentication sets per workload port.</summary>
public sealed record EffectiveMtls(MtlsMode Mode, IReadOnlyDictionary<int, MtlsMode> PerPort)
{
    /// <summary>The mode of workload port <paramref name="port"/>.</summary>
    public MtlsMode ModeFor(int port) => PerPort.TryGetValue(port, out var mode) ? mode : Mode;
}
