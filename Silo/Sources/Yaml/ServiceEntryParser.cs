using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>ServiceEntry</c> (networking.istio.io v1, v1beta1, v1alpha3)
/// as Istio's validation would: hosts (DNS names or <c>*.</c> wildcards, never <c>*</c> alone),
/// addresses (IPs or CIDR blocks, CIDRs only for NONE and STATIC resolution), ports with unique
/// numbers and names, endpoints that fit the resolution (IPs or <c>unix://</c> sockets for STATIC,
/// IPs or DNS names for DNS, none for NONE, at most one for DNS_ROUND_ROBIN), endpoints or a
/// workload selector but not both, and several hosts only on ports that can tell them apart.
/// DYNAMIC_DNS resolution (a dynamic forward proxy) is refused by name.
/// </summary>
internal static class ServiceEntryParser
{
    private static readonly HashSet<string> s_specKeys = ["hosts", "addresses", "ports", "location", "resolution", "endpoints", "workloadSelector", "exportTo", "subjectAltNames"];
    private static readonly HashSet<string> s_portKeys = ["number", "protocol", "name", "targetPort"];
    private static readonly HashSet<string> s_endpointKeys = ["address", "ports", "labels", "network", "locality", "weight", "serviceAccount"];
    private static readonly HashSet<string> s_selectorKeys = ["labels"];
    private static readonly string[] s_resolutions = ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"];

    /// <summary>Parses the ServiceEntry in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static ServiceEntrySpec Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        var resolution = "NONE";
        problems.Check(() => resolution = Resolution(spec));
        var location = "MESH_EXTERNAL";
        problems.Check(() =>
        {
            location = YamlFields.OptionalString(spec, "location", "spec") is { Length: > 0 } text ? text : location;
            if (location is not ("MESH_EXTERNAL" or "MESH_INTERNAL"))
            {
                throw new InvalidFieldException("spec.location", $"must be MESH_EXTERNAL or MESH_INTERNAL, not '{YamlFields.Truncate(location)}'");
            }
        });

        var hosts = Hosts(spec, problems);
        var addresses = Addresses(spec, resolution, problems);
        var ports = Ports(spec, problems);

        var endpointList = (YamlSequenceNode?)null;
        problems.Check(() => endpointList = YamlFields.OptionalList(spec, "endpoints", "spec", maxItems: 4096));
        var endpointCount = endpointList?.Children.Count ?? 0;

        IReadOnlyDictionary<string, string>? selector = null;
        problems.Check(() =>
        {
            if (YamlFields.OptionalMap(spec, "workloadSelector", "spec") is { } map)
            {
                YamlFields.OnlyKeys(map, "spec.workloadSelector", s_selectorKeys);
                selector = IstioFields.Labels(map, "labels", "spec.workloadSelector");
                if (endpointCount > 0)
                {
                    throw new InvalidFieldException("spec.workloadSelector", "only one of endpoints and workloadSelector may be set");
                }
            }
        });

        var endpoints = new List<WorkloadEntrySpec>();
        var portNames = ports.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        switch (resolution)
        {
            case "NONE" when endpointCount > 0:
                problems.Check(() => throw new InvalidFieldException("spec.endpoints", "resolution NONE takes no endpoints: traffic goes on to the address the client connected to"));
                break;
            case "DNS" or "DNS_ROUND_ROBIN" when endpointCount == 0:
                problems.Check(() =>
                {
                    // Istio: with no endpoints, the hosts are the names resolved, so a wildcard cannot be one.
                    var index = hosts.FindIndex(h => IstioFields.FqdnProblem(h) is not null);
                    if (index >= 0)
                    {
                        throw new InvalidFieldException($"spec.hosts[{index}]", $"'{YamlFields.Truncate(hosts[index])}' is not a fully qualified name without wildcards; with resolution {resolution} and no endpoints, each host is the DNS name resolved");
                    }
                });
                break;
            case "DNS_ROUND_ROBIN" when endpointCount > 1:
                problems.Check(() => throw new InvalidFieldException("spec.endpoints", $"resolution DNS_ROUND_ROBIN takes at most one endpoint, not {endpointCount}"));
                break;
        }

        for (var i = 0; i < endpointCount; i++)
        {
            var path = $"spec.endpoints[{i}]";
            var node = endpointList!.Children[i];
            problems.Check(() => endpoints.Add(Endpoint(YamlFields.ItemMap(node, path), path, resolution, portNames)));
        }

        // Istio: plain TCP cannot tell several hosts apart (HTTP has the Host header, TLS the SNI),
        // unless resolution is NONE and the hosts are not used to route at all.
        if (resolution != "NONE" && hosts.Count > 1 && ports.FindIndex(p => !IstioFields.IsHttp(p.Protocol) && !IstioFields.IsTls(p.Protocol)) is >= 0 and var opaque)
        {
            problems.Check(() => throw new InvalidFieldException($"spec.ports[{opaque}].protocol",
                $"{ports[opaque].Protocol ?? "an unset protocol"} cannot tell several hosts apart; with resolution {resolution}, list one host, or use HTTP or TLS-based ports"));
        }

        var exportTo = new List<string>();
        problems.Check(() => exportTo = IstioFields.ExportTo(spec, ns, allowNone: true));
        var subjectAltNames = new List<string>();
        problems.Check(() => subjectAltNames = IstioFields.Strings(spec, "subjectAltNames", "spec", maxItems: 1000));

        problems.ThrowIfAny();
        return new ServiceEntrySpec(ns, name, hosts, addresses, ports, location, resolution, endpoints, selector, exportTo, subjectAltNames);
    }

    private static string Resolution(YamlMappingNode spec)
    {
        var resolution = YamlFields.OptionalString(spec, "resolution", "spec") is { Length: > 0 } text ? text : "NONE";
        return resolution switch
        {
            "NONE" or "STATIC" or "DNS" or "DNS_ROUND_ROBIN" => resolution,
            "DYNAMIC_DNS" => throw new InvalidFieldException("spec.resolution", "DYNAMIC_DNS (resolving each request's host through a dynamic forward proxy) is not supported yet"),
            _ => throw new InvalidFieldException("spec.resolution", $"must be one of {string.Join(", ", s_resolutions)}, not '{YamlFields.Truncate(resolution)}'"),
        };
    }

    private static List<string> Hosts(YamlMappingNode spec, Problems problems)
    {
        var hosts = new List<string>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(spec, "hosts", "spec", maxItems: 256);
            if (list is null || list.Children.Count == 0)
            {
                throw new InvalidFieldException("spec.hosts", "is required and must name at least one host");
            }

            for (var i = 0; i < list.Children.Count; i++)
            {
                var path = $"spec.hosts[{i}]";
                var node = list.Children[i];
                problems.Check(() =>
                {
                    var host = YamlFields.ItemString(node, path);
                    if (host == "*")
                    {
                        throw new InvalidFieldException(path, "a ServiceEntry host cannot be '*' alone; use a domain such as *.example.com");
                    }

                    if (IstioFields.WildcardDomainProblem(host) is { } problem)
                    {
                        throw new InvalidFieldException(path, problem);
                    }

                    hosts.Add(host.ToLowerInvariant());
                });
            }
        });

        return hosts;
    }

    private static List<string> Addresses(YamlMappingNode spec, string resolution, Problems problems)
    {
        var addresses = new List<string>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(spec, "addresses", "spec", maxItems: 256);
            for (var i = 0; i < (list?.Children.Count ?? 0); i++)
            {
                var path = $"spec.addresses[{i}]";
                var node = list!.Children[i];
                problems.Check(() =>
                {
                    var address = YamlFields.ItemString(node, path);
                    if (IstioFields.IpOrCidrProblem(address) is { } problem)
                    {
                        throw new InvalidFieldException(path, problem);
                    }

                    if (address.Contains('/', StringComparison.Ordinal) && resolution is not ("NONE" or "STATIC"))
                    {
                        throw new InvalidFieldException(path, $"a CIDR block is allowed only with resolution NONE or STATIC, not {resolution}");
                    }

                    addresses.Add(address);
                });
            }
        });

        return addresses;
    }

    private static List<ServiceEntryPort> Ports(YamlMappingNode spec, Problems problems)
    {
        var ports = new List<ServiceEntryPort>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var numbers = new Dictionary<int, int>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(spec, "ports", "spec", maxItems: 256);
            for (var i = 0; i < (list?.Children.Count ?? 0); i++)
            {
                var path = $"spec.ports[{i}]";
                var node = list!.Children[i];
                var index = i;
                problems.Check(() =>
                {
                    var map = YamlFields.ItemMap(node, path);
                    YamlFields.OnlyKeys(map, path, s_portKeys);
                    var number = YamlFields.OptionalInt(map, "number", path, 1, 65535)
                        ?? throw new InvalidFieldException(path + ".number", "is required (1-65535)");
                    var name = YamlFields.RequiredString(map, "name", path);
                    if (!IstioFields.IsDnsLabel(name))
                    {
                        throw new InvalidFieldException(path + ".name", $"'{YamlFields.Truncate(name)}' is not a valid port name (a DNS label: letters, digits and '-', at most 63 characters)");
                    }

                    var protocol = YamlFields.OptionalString(map, "protocol", path) is { Length: > 0 } text
                        ? IstioFields.Protocol(text, path + ".protocol")
                        : null;
                    var targetPort = YamlFields.OptionalInt(map, "targetPort", path, 1, 65535);
                    if (!names.TryAdd(name, index))
                    {
                        throw new InvalidFieldException(path + ".name", $"'{name}' names spec.ports[{names[name]}] too; port names must be unique");
                    }

                    if (!numbers.TryAdd(number, index))
                    {
                        throw new InvalidFieldException(path + ".number", $"port {number} is spec.ports[{numbers[number]}] too; port numbers must be unique");
                    }

                    ports.Add(new ServiceEntryPort(number, name, protocol, targetPort));
                });
            }
        });

        return ports;
    }

    /// <summary>One endpoint, checked as Istio checks it for <paramref name="resolution"/>.</summary>
    private static WorkloadEntrySpec Endpoint(YamlMappingNode map, string path, string resolution, IReadOnlySet<string> servicePorts)
    {
        YamlFields.OnlyKeys(map, path, s_endpointKeys);
        var address = YamlFields.OptionalString(map, "address", path) ?? string.Empty;
        var network = Bounded(map, "network", path, 2048);
        var locality = Bounded(map, "locality", path, 2048);
        var serviceAccount = Bounded(map, "serviceAccount", path, 253);
        var weight = YamlFields.OptionalInt(map, "weight", path, 0, int.MaxValue);
        var labels = IstioFields.Labels(map, "labels", path);

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var portsPath = path + ".ports";
        var portMap = YamlFields.OptionalMap(map, "ports", path);
        if (portMap is not null && portMap.Children.Count > 128)
        {
            throw new InvalidFieldException(portsPath, $"has {portMap.Children.Count} ports; at most 128 are allowed");
        }

        foreach (var (key, _) in portMap?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var portName = (key as YamlScalarNode)?.Value ?? string.Empty;
            var portPath = $"{portsPath}.{YamlFields.Truncate(portName)}";
            var number = YamlFields.OptionalInt(portMap!, portName, portsPath, 1, 65535)
                ?? throw new InvalidFieldException(portPath, "needs a port number (1-65535)");
            if (!servicePorts.Contains(portName))
            {
                throw new InvalidFieldException(portPath, $"'{YamlFields.Truncate(portName)}' is not the name of a port in spec.ports");
            }

            ports[portName] = number;
        }

        if (address.Length > 256)
        {
            throw new InvalidFieldException(path + ".address", "is longer than 256 characters");
        }

        if (resolution == "STATIC")
        {
            StaticAddress(address, network, ports.Count, servicePorts.Count, path);
        }
        else if (!IstioFields.IsIpAddress(address) && IstioFields.FqdnProblem(address) is not null)
        {
            throw new InvalidFieldException(path + ".address",
                address.Length == 0 ? $"is required with resolution {resolution} (an IP address or a DNS name)"
                : address.StartsWith(GatewayParser.UnixPrefix, StringComparison.Ordinal) ? $"a unix:// endpoint needs resolution STATIC, not {resolution}"
                : $"'{YamlFields.Truncate(address)}' is not an IP address or a fully qualified DNS name without wildcards");
        }

        return new WorkloadEntrySpec(address, ports, labels, network, locality, weight, serviceAccount);
    }

    /// <summary>With STATIC resolution an endpoint is an IP address or a Unix domain socket; no address is allowed only with a network.</summary>
    private static void StaticAddress(string address, string? network, int endpointPorts, int servicePorts, string path)
    {
        var field = path + ".address";
        if (address.Length == 0)
        {
            if (network is null)
            {
                throw new InvalidFieldException(field, "is required (or a network, for an endpoint reached through that network's gateway)");
            }

            return;
        }

        if (address.StartsWith(GatewayParser.UnixPrefix, StringComparison.Ordinal))
        {
            if (IstioFields.UnixAddressProblem(address[GatewayParser.UnixPrefix.Length..]) is { } problem)
            {
                throw new InvalidFieldException(field, problem);
            }

            if (endpointPorts > 0)
            {
                throw new InvalidFieldException(path + ".ports", "a unix:// endpoint takes no ports");
            }

            if (servicePorts != 1)
            {
                throw new InvalidFieldException(field, $"a unix:// endpoint needs exactly one port in spec.ports, not {servicePorts}");
            }

            return;
        }

        if (!IstioFields.IsIpAddress(address))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(address)}' is not an IP address; with resolution STATIC endpoints are IPs or unix:// sockets (a DNS name needs resolution DNS)");
        }
    }

    private static string? Bounded(YamlMappingNode map, string key, string path, int maxLength)
    {
        var value = YamlFields.OptionalString(map, key, path);
        return value is { Length: 0 } ? null
            : value is { Length: var length } && length > maxLength ? throw new InvalidFieldException(YamlFields.Join(path, key), $"is longer than {maxLength} characters")
            : value;
    }
}
