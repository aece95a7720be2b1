using System.Net;
using Mesh.Orleans.Silo.Sources.Objects;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Reads and validates the core objects the mesh keeps beside its routing objects: Namespaces, Nodes and Pods.</summary>
internal static class CoreObjectParser
{
    public const string RegionLabel = "topology.kubernetes.io/region";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    public static NamespaceInfo Namespace(YamlMappingNode root, string name)
    {
        YamlFields.RequireDnsLabel(name, "metadata.name");
        return new NamespaceInfo(name, Labels(root));
    }

    public static NodeInfo Node(YamlMappingNode root, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var labels = Labels(root);
        return new NodeInfo(name, labels.GetValueOrDefault(RegionLabel), labels.GetValueOrDefault(ZoneLabel));
    }

    public static PodInfo Pod(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.OptionalMap(root, "spec", string.Empty);
        var status = YamlFields.OptionalMap(root, "status", string.Empty);
        var nodeName = spec is null ? null : YamlFields.OptionalString(spec, "nodeName", "spec");

        // Its workload identity's service account (the API server sets "default" when a pod names none).
        var serviceAccount = spec is null ? null : YamlFields.OptionalString(spec, "serviceAccountName", "spec");
        if (serviceAccount is not null)
        {
            YamlFields.RequireDnsSubdomain(serviceAccount, "spec.serviceAccountName");
        }
        string? ip = null;
        var phase = "Pending";
        var ready = false;
        if (status is not null)
        {
            ip = YamlFields.OptionalString(status, "podIP", "status");
            if (ip is not null && !IPAddress.TryParse(ip, out _))
            {
                throw new InvalidFieldException("status.podIP", $"'{YamlFields.Truncate(ip)}' is not an IP address");
            }

            phase = YamlFields.OptionalString(status, "phase", "status") ?? phase;
            var conditions = YamlFields.OptionalList(status, "conditions", "status", maxItems: 100);
            for (var i = 0; i < (conditions?.Children.Count ?? 0); i++)
            {
                var condition = YamlFields.ItemMap(conditions!.Children[i], $"status.conditions[{i}]");
                if (YamlFields.OptionalString(condition, "type", $"status.conditions[{i}]") == "Ready")
                {
                    ready = YamlFields.OptionalString(condition, "status", $"status.conditions[{i}]") == "True";
                }
            }
        }

        return new PodInfo(ns, name, Labels(root), ip, nodeName, phase, ready, serviceAccount);
    }

    /// <summary>An object's <c>metadata.labels</c>: string keys to string values.</summary>
    public static IReadOnlyDictionary<string, string> Labels(YamlMappingNode root)
    {
        var metadata = YamlFields.RequiredMap(root, "metadata", string.Empty);
        var labels = YamlFields.OptionalMap(metadata, "labels", "metadata");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }

        foreach (var (key, value) in labels.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (name.Length is 0 or > 317)
            {
                throw new InvalidFieldException("metadata.labels", $"'{YamlFields.Truncate(name)}' is not a valid label key");
            }

            result[name] = value is YamlScalarNode scalar
                ? scalar.Value ?? string.Empty
                : throw new InvalidFieldException($"metadata.labels[{name}]", "must be a string");
        }

        return result;
    }
}
