using System.Net;
using System.Net.Sockets;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Reads and validates a <c>discovery.k8s.io/v1 EndpointSlice</c>, with the API server's limits.</summary>
internal static class EndpointSliceParser
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public static MeshEndpointSlice Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var metadata = YamlFields.RequiredMap(root, "metadata", string.Empty);
        var labels = YamlFields.OptionalMap(metadata, "labels", "metadata");
        var serviceName = labels is null ? null : YamlFields.OptionalString(labels, ServiceNameLabel, "metadata.labels");
        if (string.IsNullOrEmpty(serviceName))
        {
            throw new InvalidFieldException($"metadata.labels[{ServiceNameLabel}]", "is required: it names the Service the slice belongs to");
        }

        YamlFields.RequireDnsLabel(serviceName, $"metadata.labels[{ServiceNameLabel}]");
        var addressType = YamlFields.RequiredString(root, "addressType", string.Empty);
        var family = addressType switch
        {
            "IPv4" => AddressFamily.InterNetwork,
            "IPv6" => AddressFamily.InterNetworkV6,
            "FQDN" => throw new InvalidFieldException("addressType", "FQDN slices are not supported: proxies need IP endpoints"),
            _ => throw new InvalidFieldException("addressType", $"must be IPv4 or IPv6, not '{YamlFields.Truncate(addressType)}'"),
        };

        var problems = new Problems();
        var ports = new List<SlicePort>();
        var portList = YamlFields.OptionalList(root, "ports", string.Empty, maxItems: 20_000);
        for (var i = 0; i < (portList?.Children.Count ?? 0); i++)
        {
            var path = $"ports[{i}]";
            var node = portList!.Children[i];
            problems.Check(() => ports.Add(ParsePort(node, path, ports)));
        }

        var endpointList = YamlFields.OptionalList(root, "endpoints", string.Empty, maxItems: 1000);
        var endpoints = new List<SliceEndpoint>(endpointList?.Children.Count ?? 0);
        for (var i = 0; i < (endpointList?.Children.Count ?? 0); i++)
        {
            var path = $"endpoints[{i}]";
            var node = endpointList!.Children[i];
            problems.Check(() => endpoints.Add(ParseEndpoint(YamlFields.ItemMap(node, path), path, family)));
        }

        problems.ThrowIfAny();
        return new MeshEndpointSlice(ns, name, serviceName, addressType, ports, endpoints);
    }

    private static SlicePort ParsePort(YamlNode node, string path, List<SlicePort> ports)
    {
        var item = YamlFields.ItemMap(node, path);
        var portName = YamlFields.OptionalString(item, "name", path) ?? string.Empty;
        if (portName.Length > 0)
        {
            YamlFields.RequireDnsLabel(portName, path + ".name");
        }

        var port = YamlFields.OptionalInt(item, "port", path, 1, 65535);
        var protocol = YamlFields.Protocol(item, path);
        if (ports.Any(p => p.Name == portName))
        {
            throw new InvalidFieldException(path + ".name", $"'{portName}' is used by another port");
        }

        return new SlicePort(portName, port, protocol);
    }

    private static SliceEndpoint ParseEndpoint(YamlMappingNode item, string path, AddressFamily family)
    {
        var list = YamlFields.OptionalList(item, "addresses", path, maxItems: 100);
        if (list is null || list.Children.Count == 0)
        {
            throw new InvalidFieldException(path + ".addresses", "is required and must hold at least one address");
        }

        var addresses = new List<string>(list.Children.Count);
        for (var j = 0; j < list.Children.Count; j++)
        {
            var text = YamlFields.ItemString(list.Children[j], $"{path}.addresses[{j}]");
            if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != family || address.ToString() != text && family == AddressFamily.InterNetwork)
            {
                throw new InvalidFieldException($"{path}.addresses[{j}]", $"'{YamlFields.Truncate(text)}' is not a valid {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
            }

            addresses.Add(address.ToString());
        }

        var conditions = YamlFields.OptionalMap(item, "conditions", path);
        var conditionsPath = path + ".conditions";
        // Kubernetes: a missing ready condition is to be read as true.
        var ready = (conditions is null ? null : YamlFields.OptionalBool(conditions, "ready", conditionsPath)) ?? true;
        var serving = (conditions is null ? null : YamlFields.OptionalBool(conditions, "serving", conditionsPath)) ?? ready;
        var terminating = (conditions is null ? null : YamlFields.OptionalBool(conditions, "terminating", conditionsPath)) ?? false;
        var zone = YamlFields.OptionalString(item, "zone", path);
        var nodeName = YamlFields.OptionalString(item, "nodeName", path);
        var targetRef = YamlFields.OptionalMap(item, "targetRef", path);
        string? target = null;
        if (targetRef is not null)
        {
            target = string.Join('/',
                YamlFields.OptionalString(targetRef, "kind", path + ".targetRef") ?? string.Empty,
                YamlFields.OptionalString(targetRef, "namespace", path + ".targetRef") ?? string.Empty,
                YamlFields.OptionalString(targetRef, "name", path + ".targetRef") ?? string.Empty);
        }

        return new SliceEndpoint(addresses, ready, serving, terminating, zone, nodeName, target);
    }
}
