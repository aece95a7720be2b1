using System.Globalization;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Reads and validates a <c>v1 Service</c> as the Kubernetes API server would.</summary>
internal static class ServiceParser
{
    public static MeshService Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsLabel(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        var list = YamlFields.OptionalList(spec, "ports", "spec", maxItems: 100);
        if (list is null || list.Children.Count == 0)
        {
            throw new InvalidFieldException("spec.ports", "is required: a Service without ports has nothing for the mesh to route");
        }

        var ports = new List<ServicePort>(list.Children.Count);
        var problems = new Problems();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var index = i;
            problems.Check(() => ports.Add(ParsePort(list, index, ports)));
        }

        var clusterIp = YamlFields.OptionalString(spec, "clusterIP", "spec");
        problems.Check(() =>
        {
            if (clusterIp is not null && clusterIp != "None" && !System.Net.IPAddress.TryParse(clusterIp, out _))
            {
                throw new InvalidFieldException("spec.clusterIP", $"'{YamlFields.Truncate(clusterIp)}' is not an IP address or None");
            }
        });
        problems.ThrowIfAny();
        return new MeshService(ns, name, ports, clusterIp is null or "None" ? null : clusterIp);
    }

    private static ServicePort ParsePort(YamlSequenceNode list, int i, List<ServicePort> ports)
    {
        var path = $"spec.ports[{i}]";
        var item = YamlFields.ItemMap(list.Children[i], path);
        var portName = YamlFields.OptionalString(item, "name", path) ?? string.Empty;
        if (portName.Length > 0)
        {
            YamlFields.RequireDnsLabel(portName, path + ".name");
        }
        else if (list.Children.Count > 1)
        {
            throw new InvalidFieldException(path + ".name", "is required when a Service has more than one port");
        }

        var number = YamlFields.OptionalInt(item, "port", path, 1, 65535)
            ?? throw new InvalidFieldException(path + ".port", "is required");
        var protocol = YamlFields.Protocol(item, path);

        var targetPort = ReadTargetPort(item, path);
        var appProtocol = YamlFields.OptionalString(item, "appProtocol", path);
        if (ports.Any(p => p.Name == portName))
        {
            throw new InvalidFieldException(path + ".name", $"'{portName}' is used by another port");
        }

        if (ports.Any(p => p.Port == number && p.Protocol == protocol))
        {
            throw new InvalidFieldException(path + ".port", $"{number}/{protocol} is used by another port");
        }

        return new ServicePort(portName, number, targetPort, protocol, appProtocol);
    }

    private static string? ReadTargetPort(YamlMappingNode item, string path)
    {
        var node = YamlFields.Get(item, "targetPort");
        if (node is null || node is YamlScalarNode nul && YamlFields.IsNull(nul))
        {
            return null;
        }

        if (node is not YamlScalarNode { Value: { Length: > 0 } value } scalar)
        {
            throw new InvalidFieldException(path + ".targetPort", "must be a port number or a port name");
        }

        if (scalar.Style is YamlDotNet.Core.ScalarStyle.Plain && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number is >= 1 and <= 65535
                ? value
                : throw new InvalidFieldException(path + ".targetPort", $"must be between 1 and 65535, not {number}");
        }

        if (value.Length > 15 || !value.Any(char.IsAsciiLetterLower))
        {
            throw new InvalidFieldException(path + ".targetPort", $"'{YamlFields.Truncate(value)}' is neither a port number nor a port name (at most 15 characters, with a letter)");
        }

        YamlFields.RequireDnsLabel(value, path + ".targetPort");
        return value;
    }
}
