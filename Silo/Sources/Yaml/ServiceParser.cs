using System.Globalization;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates a <c>v1 Service</c> as the Kubernetes API server would, with Istio's
/// annotation <c>networking.istio.io/exportTo</c>.
/// </summary>
internal static class ServiceParser
{
    /// <summary>The annotation naming the namespaces a Service is visible to (Istio's <c>annotation.NetworkingExportTo</c>).</summary>
    public const string ExportToAnnotation = "networking.istio.io/exportTo";

    /// <summary>Most entries the exportTo annotation may list.</summary>
    public const int MaxExportTo = 1000;

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
        List<string>? exportTo = null;
        problems.Check(() => exportTo = ExportTo(root));
        problems.ThrowIfAny();
        return new MeshService(ns, name, ports, clusterIp is null or "None" ? null : clusterIp, exportTo);
    }

    /// <summary>
    /// The annotation <c>networking.istio.io/exportTo</c>, as Istio's Kubernetes registry reads it:
    /// comma-separated, each entry trimmed, <c>.</c> (the Service's own namespace), <c>*</c> (every
    /// namespace), <c>~</c> (no one) or a namespace name; null when absent or empty. Istio takes any
    /// entry unchecked (a misspelt one silently exports to no such namespace); here an entry that is
    /// none of these, or empty, rejects the Service with the reason. Entries combine as a set, as in
    /// Istio: <c>*</c> with others is still everyone.
    /// </summary>
    private static List<string>? ExportTo(YamlMappingNode root)
    {
        var metadata = YamlFields.OptionalMap(root, "metadata", string.Empty);
        var annotations = metadata is null ? null : YamlFields.OptionalMap(metadata, "annotations", "metadata");
        var field = $"metadata.annotations[{ExportToAnnotation}]";
        var node = annotations is null ? null : YamlFields.Get(annotations, ExportToAnnotation);
        if (node is null || node is YamlScalarNode nul && YamlFields.IsNull(nul))
        {
            return null;
        }

        if (node is not YamlScalarNode { Value: { } text })
        {
            throw new InvalidFieldException(field, "must be a string of comma-separated namespaces");
        }

        if (text.Trim().Length == 0)
        {
            return null;
        }

        var entries = text.Split(',');
        if (entries.Length > MaxExportTo)
        {
            throw new InvalidFieldException(field, $"lists {entries.Length} entries; at most {MaxExportTo} are allowed");
        }

        var values = new List<string>(entries.Length);
        foreach (var entry in entries)
        {
            var value = entry.Trim();
            if (value.Length == 0)
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}' has an empty entry; list '.', '*', '~' or namespace names, separated by commas");
            }

            if (value is not ("." or "*" or "~") && !IsNamespace(value))
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(value)}' is not '.', '*', '~' or a namespace name (a lowercase DNS label)");
            }

            if (!values.Contains(value, StringComparer.Ordinal))
            {
                values.Add(value);
            }
        }

        return values;
    }

    /// <summary>A namespace name: a lowercase DNS label.</summary>
    private static bool IsNamespace(string value) =>
        IstioFields.IsDnsLabel(value) && !value.Any(char.IsAsciiLetterUpper);

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
