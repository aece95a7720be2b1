using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// How Gateways select gateway workloads and VirtualServices bind to Gateways, as Istio decides
/// it: a Gateway selects the workloads whose labels include all of its selector's; a
/// VirtualService's <c>gateways</c> entry <c>name</c> means the Gateway of that name in the
/// VirtualService's own namespace, <c>ns/name</c> the one in <c>ns</c>, and <c>mesh</c> the sidecars.
/// </summary>
public static class GatewayBinding
{
    /// <summary>The name VirtualServices bind a Gateway by: <c>namespace/name</c>.</summary>
    public static string NameOf(GatewaySpec gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return $"{gateway.Namespace}/{gateway.Name}";
    }

    /// <summary>Splits a resolved gateway name into namespace and name.</summary>
    public static (string Namespace, string Name) Split(string resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var slash = resolved.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (string.Empty, resolved) : (resolved[..slash], resolved[(slash + 1)..]);
    }

    /// <summary>Whether <paramref name="gateway"/> selects a workload with <paramref name="labels"/>.</summary>
    public static bool Selects(GatewaySpec gateway, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(labels);
        return gateway.Selector.All(s => labels.TryGetValue(s.Key, out var value) && string.Equals(value, s.Value, StringComparison.Ordinal));
    }

    /// <summary>A gateway name as written in <paramref name="virtualService"/>, resolved: <c>mesh</c>, or <c>namespace/name</c>.</summary>
    public static string Resolve(VirtualServiceSpec virtualService, string name)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(name);
        return name == VirtualServiceSpec.MeshGateway || name.Contains('/', StringComparison.Ordinal)
            ? name
            : $"{virtualService.Namespace}/{name}";
    }

    /// <summary>Gateway names as written in <paramref name="virtualService"/>, resolved.</summary>
    public static IEnumerable<string> Resolve(VirtualServiceSpec virtualService, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.Select(n => Resolve(virtualService, n));
    }

    /// <summary>Whether <paramref name="virtualService"/> names a gateway other than <c>mesh</c>.</summary>
    public static bool BindsGateways(VirtualServiceSpec virtualService)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        return virtualService.Gateways?.Any(g => g != VirtualServiceSpec.MeshGateway) == true;
    }
}
