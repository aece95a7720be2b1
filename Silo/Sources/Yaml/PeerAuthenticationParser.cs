using System.Globalization;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>PeerAuthentication</c> (security.istio.io v1, v1beta1) as
/// Istio's <c>ValidatePeerAuthentication</c> does: a mode of UNSET, DISABLE, PERMISSIVE or STRICT;
/// <c>portLevelMtls</c> only with a non-empty selector (a mesh- or namespace-wide policy cannot
/// set a port's mode), not empty, keyed by port numbers from 1 to 65535.
/// </summary>
internal static class PeerAuthenticationParser
{
    private static readonly HashSet<string> s_specKeys = ["selector", "mtls", "portLevelMtls"];
    private static readonly HashSet<string> s_selectorKeys = ["matchLabels"];
    private static readonly HashSet<string> s_mtlsKeys = ["mode"];

    /// <summary>Parses the PeerAuthentication in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static PeerAuthenticationSpec Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");

        // An empty spec is allowed: a namespace-wide policy whose mode is inherited.
        var spec = YamlFields.OptionalMap(root, "spec", string.Empty) ?? new YamlMappingNode();
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        DateTimeOffset? created = null;
        problems.Check(() => created = DestinationRuleParser.CreationTimestamp(root));

        Dictionary<string, string>? selector = null;
        problems.Check(() =>
        {
            if (YamlFields.OptionalMap(spec, "selector", "spec") is { } map)
            {
                YamlFields.OnlyKeys(map, "spec.selector", s_selectorKeys);
                selector = IstioFields.Labels(map, "matchLabels", "spec.selector");
            }
        });

        var mode = MtlsMode.Unset;
        problems.Check(() => mode = Mode(spec, "mtls", "spec"));

        var ports = new SortedDictionary<int, MtlsMode>();
        problems.Check(() =>
        {
            if (YamlFields.OptionalMap(spec, "portLevelMtls", "spec") is not { } map)
            {
                return;
            }

            if (selector is not { Count: > 0 })
            {
                // Istio: "mesh/namespace peer authentication cannot have port level mTLS".
                throw new InvalidFieldException("spec.portLevelMtls", "needs a selector: a mesh- or namespace-wide PeerAuthentication cannot set a port's mode");
            }

            if (map.Children.Count == 0)
            {
                throw new InvalidFieldException("spec.portLevelMtls", "is empty: list the ports whose mode differs");
            }

            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = keyNode is YamlScalarNode { Value: { } text } ? text : string.Empty;
                var path = $"spec.portLevelMtls[{YamlFields.Truncate(key)}]";
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    throw new InvalidFieldException(path, "the key must be a port number from 1 to 65535");
                }

                if (valueNode is not YamlMappingNode portMap)
                {
                    throw new InvalidFieldException(path, "must be a map with mode");
                }

                YamlFields.OnlyKeys(portMap, path, s_mtlsKeys);
                ports[port] = ModeOf(YamlFields.OptionalString(portMap, "mode", path), YamlFields.Join(path, "mode"));
            }
        });

        problems.ThrowIfAny();
        return new PeerAuthenticationSpec(ns, name, selector is { Count: > 0 } ? selector : null, mode, ports, created);
    }

    private static MtlsMode Mode(YamlMappingNode parent, string key, string path)
    {
        if (YamlFields.OptionalMap(parent, key, path) is not { } map)
        {
            return MtlsMode.Unset;
        }

        var at = YamlFields.Join(path, key);
        YamlFields.OnlyKeys(map, at, s_mtlsKeys);
        return ModeOf(YamlFields.OptionalString(map, "mode", at), YamlFields.Join(at, "mode"));
    }

    private static MtlsMode ModeOf(string? text, string field) => text switch
    {
        null or "UNSET" => MtlsMode.Unset,
        "DISABLE" => MtlsMode.Disable,
        "PERMISSIVE" => MtlsMode.Permissive,
        "STRICT" => MtlsMode.Strict,
        _ => throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}' is not a mode: UNSET, DISABLE, PERMISSIVE or STRICT"),
    };
}
