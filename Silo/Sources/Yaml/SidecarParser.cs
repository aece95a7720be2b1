using System.Globalization;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>Sidecar</c> (networking.istio.io v1, v1beta1, v1alpha3) as
/// Istio's <c>ValidateSidecar</c> does: something to configure (egress, ingress, an outbound
/// traffic policy or an inbound connection pool); egress listeners with at least one
/// <c>namespace/dnsName</c> host each, unique ports and Unix sockets, and at most one listener
/// without a port, last; ingress listeners with a port each, unique, and a default endpoint on
/// the loopback or any address or a Unix socket; an outbound traffic policy of <c>ALLOW_ANY</c> or
/// <c>REGISTRY_ONLY</c>. What the mesh cannot serve is refused by name with the reason: TLS on an
/// ingress listener (it needs certificates) and an egress proxy.
/// </summary>
internal static class SidecarParser
{
    /// <summary>Most egress or ingress listeners a Sidecar may list.</summary>
    public const int MaxListeners = 1000;

    /// <summary>Most hosts one egress listener may list.</summary>
    public const int MaxHosts = 1000;

    private const string HttpProxy = "HTTP_PROXY";

    private static readonly HashSet<string> s_specKeys = ["workloadSelector", "egress", "ingress", "outboundTrafficPolicy", "inboundConnectionPool"];
    private static readonly HashSet<string> s_selectorKeys = ["labels"];
    private static readonly HashSet<string> s_egressKeys = ["port", "bind", "captureMode", "hosts"];
    private static readonly HashSet<string> s_ingressKeys = ["port", "bind", "captureMode", "defaultEndpoint", "connectionPool"];
    private static readonly Dictionary<string, string> s_ingressUnsupported = new()
    {
        ["tls"] = "TLS termination on a sidecar's ingress listener needs certificates, which the security issue brings; not supported yet",
    };

    private static readonly HashSet<string> s_portKeys = ["number", "protocol", "name", "targetPort"];
    private static readonly HashSet<string> s_policyKeys = ["mode"];
    private static readonly Dictionary<string, string> s_policyUnsupported = new()
    {
        ["egressProxy"] = "egressProxy (sending traffic to unknown destinations through an egress proxy) is not supported; use mode ALLOW_ANY or REGISTRY_ONLY alone",
    };

    private static readonly string[] s_captureModes = ["DEFAULT", "IPTABLES", "NONE"];
    private static readonly string[] s_loopbackOrAny = ["", "127.0.0.1", "0.0.0.0", "::1", "::"];

    /// <summary>Parses the Sidecar in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static SidecarSpec Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        DateTimeOffset? created = null;
        problems.Check(() => created = DestinationRuleParser.CreationTimestamp(root));

        Dictionary<string, string>? selector = null;
        problems.Check(() =>
        {
            var map = YamlFields.OptionalMap(spec, "workloadSelector", "spec");
            if (map is not null)
            {
                YamlFields.OnlyKeys(map, "spec.workloadSelector", s_selectorKeys);
                selector = IstioFields.Labels(map, "labels", "spec.workloadSelector");
            }
        });

        YamlSequenceNode? egressList = null;
        YamlSequenceNode? ingressList = null;
        YamlMappingNode? policyMap = null;
        YamlMappingNode? poolMap = null;
        problems.Check(() => egressList = YamlFields.OptionalList(spec, "egress", "spec", MaxListeners));
        problems.Check(() => ingressList = YamlFields.OptionalList(spec, "ingress", "spec", MaxListeners));
        problems.Check(() => policyMap = YamlFields.OptionalMap(spec, "outboundTrafficPolicy", "spec"));
        problems.Check(() => poolMap = YamlFields.OptionalMap(spec, "inboundConnectionPool", "spec"));
        if (problems.Count == 0 && egressList is not { Children.Count: > 0 } && ingressList is not { Children.Count: > 0 } && policyMap is null && poolMap is null)
        {
            // Istio: "sidecar: empty configuration provided".
            throw new InvalidFieldException("spec", "is empty: a Sidecar needs egress, ingress, outboundTrafficPolicy or inboundConnectionPool");
        }

        var ingress = Ingress(ingressList, problems);

        ConnectionPoolSpec? inboundPool = null;
        if (poolMap is not null)
        {
            problems.Check(() => inboundPool = DestinationRuleParser.Pool(poolMap, "spec.inboundConnectionPool"));
        }

        var egress = Egress(egressList, problems);

        string? mode = null;
        if (policyMap is not null)
        {
            problems.Check(() => mode = OutboundTrafficPolicy(policyMap, "spec.outboundTrafficPolicy"));
        }

        problems.ThrowIfAny();
        return new SidecarSpec(ns, name, selector, egress, ingress, mode, inboundPool, created);
    }

    /// <summary>The ingress listeners: each with a port, ports unique, as Istio's validation has them.</summary>
    private static List<SidecarIngressSpec> Ingress(YamlSequenceNode? list, Problems problems)
    {
        var listeners = new List<SidecarIngressSpec>();
        var ports = new Dictionary<int, int>();
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var path = $"spec.ingress[{i}]";
            var node = list!.Children[i];
            var before = problems.Count;
            YamlMappingNode? map = null;
            problems.Check(() =>
            {
                map = YamlFields.ItemMap(node, path);
                YamlFields.OnlyKeys(map, path, s_ingressKeys, s_ingressUnsupported);
            });
            if (map is null || problems.Count > before)
            {
                continue;
            }

            SidecarPortSpec? port = null;
            problems.Check(() =>
            {
                var portMap = YamlFields.OptionalMap(map, "port", path)
                    ?? throw new InvalidFieldException(path + ".port", "is required on an ingress listener");
                port = Port(portMap, path + ".port", egress: false);
                if (port.Number == 0)
                {
                    throw new InvalidFieldException(path + ".port.number", "is required (1-65535)");
                }
            });

            if (port is not null)
            {
                var index = i;
                problems.Check(() => Unique(ports, port.Number, index, path + ".port.number", "spec.ingress"));
            }

            string? bind = null;
            problems.Check(() => bind = IpBind(map, path));
            string? captureMode = null;
            problems.Check(() => captureMode = CaptureMode(map, path));
            string? defaultEndpoint = null;
            problems.Check(() => defaultEndpoint = DefaultEndpoint(map, path));
            ConnectionPoolSpec? pool = null;
            problems.Check(() => pool = YamlFields.OptionalMap(map, "connectionPool", path) is { } poolMap
                ? DestinationRuleParser.Pool(poolMap, path + ".connectionPool")
                : null);
            if (problems.Count == before && port is not null)
            {
                listeners.Add(new SidecarIngressSpec(port, bind, defaultEndpoint, captureMode, pool));
            }
        }

        return listeners;
    }

    /// <summary>
    /// The egress listeners: hosts required; ports unique among IP listeners, sockets unique among
    /// Unix listeners; at most one listener without a port, and it must be the last (Istio: "the
    /// egress listener with empty port should be the last listener in the list").
    /// </summary>
    private static List<SidecarEgressSpec> Egress(YamlSequenceNode? list, Problems problems)
    {
        var listeners = new List<SidecarEgressSpec>();
        var ports = new Dictionary<int, int>();
        var sockets = new Dictionary<string, int>(StringComparer.Ordinal);
        var catchAll = -1;
        var count = list?.Children.Count ?? 0;
        for (var i = 0; i < count; i++)
        {
            var path = $"spec.egress[{i}]";
            var node = list!.Children[i];
            var before = problems.Count;
            YamlMappingNode? map = null;
            problems.Check(() =>
            {
                map = YamlFields.ItemMap(node, path);
                YamlFields.OnlyKeys(map, path, s_egressKeys);
            });
            if (map is null || problems.Count > before)
            {
                continue;
            }

            YamlMappingNode? portMap = null;
            problems.Check(() => portMap = YamlFields.OptionalMap(map, "port", path));
            string? captureMode = null;
            problems.Check(() => captureMode = CaptureMode(map, path));
            string? bind = null;
            SidecarPortSpec? port = null;
            if (problems.Count == before && portMap is null)
            {
                var index = i;
                problems.Check(() =>
                {
                    if (catchAll >= 0)
                    {
                        throw new InvalidFieldException(path + ".port", $"is missing, as in spec.egress[{catchAll}]; a Sidecar may have only one egress listener without a port");
                    }

                    catchAll = index;
                    if (index != count - 1)
                    {
                        throw new InvalidFieldException(path + ".port", "is missing; the egress listener without a port catches everything else and must be the last one");
                    }
                });
                problems.Check(() => bind = NonEmpty(map, "bind", path));
            }
            else if (portMap is not null)
            {
                problems.Check(() => port = Port(portMap, path + ".port", egress: true));
                problems.Check(() => bind = EgressBind(map, path, port, captureMode));
                if (port is not null && problems.Count == before)
                {
                    var index = i;
                    problems.Check(() =>
                    {
                        if (port.Number == 0)
                        {
                            Unique(sockets, bind!, index, path + ".bind", "spec.egress");
                        }
                        else
                        {
                            Unique(ports, port.Number, index, path + ".port.number", "spec.egress");
                        }
                    });
                }
            }

            var hosts = new List<string>();
            problems.Check(() =>
            {
                var hostList = YamlFields.OptionalList(map, "hosts", path, MaxHosts);
                if (hostList is null || hostList.Children.Count == 0)
                {
                    throw new InvalidFieldException(path + ".hosts", "is required: an egress listener imports at least one namespace/dnsName host");
                }

                for (var h = 0; h < hostList.Children.Count; h++)
                {
                    var hostPath = $"{path}.hosts[{h}]";
                    var hostNode = hostList.Children[h];
                    problems.Check(() => hosts.Add(EgressHost(YamlFields.ItemString(hostNode, hostPath), hostPath)));
                }
            });

            if (problems.Count == before)
            {
                listeners.Add(new SidecarEgressSpec(port, bind, captureMode, hosts));
            }
        }

        return listeners;
    }

    /// <summary>
    /// An egress host as Istio's <c>ValidateNamespaceSlashWildcardHostname</c> reads it for a
    /// Sidecar: <c>namespace/dnsName</c>, the namespace <c>*</c>, <c>.</c> or a name, optionally
    /// after <c>~</c> (exclude rather than import; <c>~</c> alone stands for <c>*</c>); the DNS
    /// name <c>*</c>, a name with dots, or a leading <c>*.</c> wildcard. Returned with the DNS name in lower case.
    /// </summary>
    private static string EgressHost(string text, string field)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}' must be of the form namespace/dnsName (e.g. './*', 'istio-system/*', '*/api.example.com')");
        }

        var hostNamespace = text[..slash];
        var host = text[(slash + 1)..];
        if (hostNamespace.Length == 0 || host.Length == 0)
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}': neither the namespace nor the dnsName of namespace/dnsName may be empty");
        }

        var bare = hostNamespace.StartsWith('~') ? hostNamespace[1..] : hostNamespace;
        if (bare is not ("" or "*" or "."))
        {
            YamlFields.RequireDnsLabel(bare, field);
        }

        if (host != "*" && !host.Contains('.', StringComparison.Ordinal))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(host)}' is a short name; an egress host must be fully qualified (or '*')");
        }

        if (IstioFields.WildcardDomainProblem(host) is { } problem)
        {
            throw new InvalidFieldException(field, problem);
        }

        if (host.Contains('*', StringComparison.Ordinal) && host != "*" && !host.StartsWith("*.", StringComparison.Ordinal))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(host)}' is a partial wildcard; only '*' or a leading '*.' is allowed");
        }

        return hostNamespace + "/" + host.ToLowerInvariant();
    }

    /// <summary>
    /// A listener's port: a number (0 only for an egress listener on a Unix socket, else 1-65535),
    /// an optional protocol (absent: the proxy sniffs it; <c>HTTP_PROXY</c> only on egress), an
    /// optional name (a DNS label); <c>targetPort</c> has no effect on a Sidecar and is refused.
    /// </summary>
    private static SidecarPortSpec Port(YamlMappingNode map, string path, bool egress)
    {
        YamlFields.OnlyKeys(map, path, s_portKeys);
        var number = YamlFields.OptionalInt(map, "number", path, 0, 65535) ?? 0;
        if (YamlFields.OptionalInt(map, "targetPort", path, 0, int.MaxValue) is > 0)
        {
            throw new InvalidFieldException(path + ".targetPort", "has no effect on a Sidecar (it is for ServiceEntries); remove it");
        }

        var name = NonEmpty(map, "name", path);
        if (name is not null)
        {
            YamlFields.RequireDnsLabel(name, path + ".name");
        }

        var text = NonEmpty(map, "protocol", path);
        var protocol = text is null ? null
            : egress && string.Equals(text, HttpProxy, StringComparison.OrdinalIgnoreCase) ? HttpProxy
            : IstioFields.Protocol(text, path + ".protocol");
        return new SidecarPortSpec(number, protocol, name);
    }

    /// <summary>
    /// An egress listener's bind: with port 0 a <c>unix://</c> socket is required and the capture
    /// mode must be DEFAULT or NONE; otherwise an IP address, if any.
    /// </summary>
    private static string? EgressBind(YamlMappingNode map, string path, SidecarPortSpec? port, string? captureMode)
    {
        if (port is not { Number: 0 })
        {
            return IpBind(map, path);
        }

        var bind = NonEmpty(map, "bind", path);
        if (bind is null || !bind.StartsWith(GatewayParser.UnixPrefix, StringComparison.Ordinal))
        {
            throw new InvalidFieldException(path + ".bind", "a listener on port 0 must bind to a Unix domain socket (unix://...)");
        }

        if (IstioFields.UnixAddressProblem(bind[GatewayParser.UnixPrefix.Length..]) is { } problem)
        {
            throw new InvalidFieldException(path + ".bind", problem);
        }

        if (captureMode is "IPTABLES")
        {
            throw new InvalidFieldException(path + ".captureMode", "must be DEFAULT or NONE for a listener on a Unix domain socket");
        }

        return bind;
    }

    private static string? IpBind(YamlMappingNode map, string path)
    {
        var bind = NonEmpty(map, "bind", path);
        return bind is null || IstioFields.IsIpAddress(bind)
            ? bind
            : throw new InvalidFieldException(path + ".bind", $"'{YamlFields.Truncate(bind)}' is not an IP address");
    }

    private static string? CaptureMode(YamlMappingNode map, string path)
    {
        var mode = NonEmpty(map, "captureMode", path);
        return mode is null || s_captureModes.Contains(mode, StringComparer.Ordinal)
            ? mode
            : throw new InvalidFieldException(path + ".captureMode", $"must be one of {string.Join(", ", s_captureModes)}, not '{YamlFields.Truncate(mode)}'");
    }

    /// <summary>
    /// An ingress listener's <c>defaultEndpoint</c>, as Istio accepts it: <c>unix://</c> and a
    /// socket, or <c>host:port</c> where host is empty, 127.0.0.1, 0.0.0.0, [::1] or [::] and port 1-65535.
    /// </summary>
    private static string? DefaultEndpoint(YamlMappingNode map, string path)
    {
        var field = path + ".defaultEndpoint";
        var endpoint = NonEmpty(map, "defaultEndpoint", path);
        if (endpoint is null)
        {
            return null;
        }

        if (endpoint.StartsWith(GatewayParser.UnixPrefix, StringComparison.Ordinal))
        {
            return IstioFields.UnixAddressProblem(endpoint[GatewayParser.UnixPrefix.Length..]) is { } problem
                ? throw new InvalidFieldException(field, problem)
                : endpoint;
        }

        var form = "must be 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:// and a socket";
        string host;
        string port;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(endpoint)}' {form}");
            }

            host = endpoint[1..close];
            port = endpoint[(close + 2)..];
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon < 0 || endpoint.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(endpoint)}' {form}");
            }

            host = endpoint[..colon];
            port = endpoint[(colon + 1)..];
        }

        if (!s_loopbackOrAny.Contains(host, StringComparer.Ordinal))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(endpoint)}' {form}; a sidecar forwards only to its own workload");
        }

        return port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535
            ? endpoint
            : throw new InvalidFieldException(field, $"'{YamlFields.Truncate(endpoint)}': the port must be a number from 1 to 65535");
    }

    /// <summary>
    /// <c>outboundTrafficPolicy</c>: its mode, <c>ALLOW_ANY</c> or <c>REGISTRY_ONLY</c>. A policy
    /// without a mode is <c>REGISTRY_ONLY</c>, as in Istio, where that is the enum's zero value.
    /// </summary>
    private static string OutboundTrafficPolicy(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_policyKeys, s_policyUnsupported);
        var mode = NonEmpty(map, "mode", path) ?? "REGISTRY_ONLY";
        return mode switch
        {
            "ALLOW_ANY" or "REGISTRY_ONLY" => mode,
            "ALLOW_ANY_DYNAMIC_DNS" => throw new InvalidFieldException(path + ".mode", "ALLOW_ANY_DYNAMIC_DNS is a mesh-wide mode only (Istio's MeshConfig), not a Sidecar's"),
            _ => throw new InvalidFieldException(path + ".mode", $"must be ALLOW_ANY or REGISTRY_ONLY, not '{YamlFields.Truncate(mode)}'"),
        };
    }

    private static void Unique<T>(Dictionary<T, int> seen, T value, int index, string field, string list)
        where T : notnull
    {
        if (!seen.TryAdd(value, index))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(value.ToString() ?? string.Empty)}' is used by {list}[{seen[value]}] too; listeners must not share a port or socket");
        }
    }

    private static string? NonEmpty(YamlMappingNode map, string key, string path) =>
        YamlFields.OptionalString(map, key, path) is { Length: > 0 } value ? value : null;
}
