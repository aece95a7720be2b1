using System.Net;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Reads which workload a proxy is from its node id and metadata, by istiod's rules: an Istio
/// node id is <c>&lt;type&gt;~&lt;ip&gt;~&lt;pod&gt;.&lt;namespace&gt;~&lt;namespace&gt;.svc.cluster.local</c>
/// with type <c>sidecar</c> or <c>router</c>; its addresses are metadata <c>INSTANCE_IPS</c> when
/// every one is an IP, else the id's IP; its namespace is metadata <c>NAMESPACE</c>, else the
/// DNS domain's first label. A <c>sidecar</c> whose metadata says <c>GENERATOR: grpc</c> is a
/// proxyless gRPC client (Istio's proxyless bootstrap). Any other id is a plain xDS client,
/// served as proxyless. Pure: node in, identity or the reason it is refused out.
/// </summary>
public static class ProxyIdentities
{
    /// <summary>At most this many workload labels are read; a node announcing more is refused.</summary>
    public const int MaxLabels = 256;

    private const int MaxLabelLength = 1024;

    /// <summary>The identity of a node, or why a node that claims Istio's form is refused (as istiod refuses it).</summary>
    public static (ProxyIdentity? Identity, string? Error) Parse(string nodeId, Struct? metadata)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        var parts = nodeId.Split('~');
        var kind = parts[0] switch
        {
            "sidecar" => ProxyKind.Sidecar,
            "router" => ProxyKind.Router,
            _ => (ProxyKind?)null,
        };
        if (kind is null)
        {
            // Not Istio's form (a gRPC client's own id): served as a proxyless client.
            return (ProxyIdentity.Proxyless, null);
        }

        if (parts.Length != 4)
        {
            return (null, $"node.id '{nodeId}' starts like an Istio node id ({parts[0]}~) but has {parts.Length} parts separated by '~', not 4 (<type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local)");
        }

        var fields = metadata?.Fields;
        string Text(string key) => fields is not null && fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : string.Empty;

        var instanceIps = Text("INSTANCE_IPS").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<string> addresses = instanceIps.Length > 0 && instanceIps.All(IsIp)
            ? instanceIps
            : IsIp(parts[1]) ? [parts[1]] : [];
        if (addresses.Count == 0)
        {
            return (null, $"node.id '{nodeId}': '{parts[1]}' is not an IP address and node metadata INSTANCE_IPS gives none; a {parts[0]} must say which workload it serves");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (fields is not null && fields.TryGetValue("LABELS", out var labelsValue) && labelsValue.KindCase != Value.KindOneofCase.NullValue)
        {
            if (labelsValue.KindCase != Value.KindOneofCase.StructValue)
            {
                return (null, "node metadata LABELS must be a map of label names to strings");
            }

            if (labelsValue.StructValue.Fields.Count > MaxLabels)
            {
                return (null, $"node metadata LABELS has {labelsValue.StructValue.Fields.Count} labels; at most {MaxLabels} are read");
            }

            foreach (var (name, value) in labelsValue.StructValue.Fields)
            {
                if (value.KindCase != Value.KindOneofCase.StringValue)
                {
                    return (null, $"node metadata LABELS[{name}] must be a string");
                }

                if (name.Length > MaxLabelLength || value.StringValue.Length > MaxLabelLength)
                {
                    return (null, $"node metadata LABELS[{Shorten(name)}] is longer than {MaxLabelLength} characters");
                }

                labels[name] = value.StringValue;
            }
        }

        if (kind == ProxyKind.Sidecar && Text("GENERATOR") == "grpc")
        {
            kind = ProxyKind.Proxyless;
        }

        var domain = parts[3];
        var ns = Text("NAMESPACE");
        if (ns.Length == 0 && domain.Split('.') is { Length: > 1 } domainLabels)
        {
            ns = domainLabels[0];
        }

        return (new ProxyIdentity(kind.Value, addresses, parts[2], ns, domain, labels, Text("CLUSTER_ID")), null);
    }

    /// <summary>
    /// An IP address as Go's <c>net.ParseIP</c> (istiod) reads one: IPv4 only as four decimal
    /// parts (.NET alone also takes <c>1</c> or <c>127.1</c>), IPv6 without a zone.
    /// </summary>
    private static bool IsIp(string text)
    {
        if (!IPAddress.TryParse(text, out var ip))
        {
            return false;
        }

        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? text.Split('.') is { Length: 4 } octets && octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit))
            : !text.Contains('%', StringComparison.Ordinal);
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
