using System.Globalization;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>AuthorizationPolicy</c> (security.istio.io v1, v1beta1) as Istio's
/// <c>ValidateAuthorizationPolicy</c> does: an action of ALLOW, DENY or AUDIT; every <c>from</c>,
/// <c>to</c> and <c>when</c> entry non-empty; ports 0 to 65535; IP blocks as IPs or CIDRs; <c>when</c>
/// keys Istio knows with values. What the mesh cannot enforce is refused by name with the reason:
/// CUSTOM (an external authorizer), <c>targetRef</c> (Gateway API), request principals and
/// <c>request.auth</c> conditions (JWT, which needs RequestAuthentication), service-account and
/// trust-domain sources, <c>experimental</c> conditions.
/// </summary>
internal static class AuthorizationPolicyParser
{
    /// <summary>Most rules, and most entries of a list, one policy may hold.</summary>
    public const int MaxItems = 1000;

    private const string DryRunAnnotation = "istio.io/dry-run";

    private static readonly HashSet<string> s_specKeys = ["selector", "action", "rules", "provider"];
    private static readonly Dictionary<string, string> s_specUnsupported = new()
    {
        ["targetRef"] = "targetRef attaches a policy to a Gateway API resource; select workloads with selector",
        ["targetRefs"] = "targetRefs attaches a policy to Gateway API resources; select workloads with selector",
    };

    private static readonly HashSet<string> s_ruleKeys = ["from", "to", "when"];
    private static readonly HashSet<string> s_sourceKeys = ["principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"];
    private static readonly Dictionary<string, string> s_sourceUnsupported = new()
    {
        ["requestPrincipals"] = "requestPrincipals match JWTs, which need RequestAuthentication; not supported",
        ["notRequestPrincipals"] = "notRequestPrincipals match JWTs, which need RequestAuthentication; not supported",
        ["serviceAccounts"] = "serviceAccounts is not supported yet; use principals (cluster.local/ns/NS/sa/SA)",
        ["notServiceAccounts"] = "notServiceAccounts is not supported yet; use notPrincipals",
        ["trustDomains"] = "trustDomains is not supported yet; use principals",
        ["notTrustDomains"] = "notTrustDomains is not supported yet; use notPrincipals",
    };

    private static readonly HashSet<string> s_operationKeys = ["hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"];
    private static readonly HashSet<string> s_conditionKeys = ["key", "values", "notValues"];
    private static readonly string[] s_whenKeys = ["source.ip", "remote.ip", "source.namespace", "source.principal", "destination.ip", "destination.port", "connection.sni"];

    /// <summary>Parses the AuthorizationPolicy in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static AuthorizationPolicySpec Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.OptionalMap(root, "spec", string.Empty) ?? new YamlMappingNode();
        YamlFields.OnlyKeys(spec, "spec", s_specKeys, s_specUnsupported);
        var problems = new Problems();

        DateTimeOffset? created = null;
        problems.Check(() => created = DestinationRuleParser.CreationTimestamp(root));

        var dryRun = false;
        problems.Check(() =>
        {
            var metadata = YamlFields.OptionalMap(root, "metadata", string.Empty);
            var annotations = metadata is null ? null : YamlFields.OptionalMap(metadata, "annotations", "metadata");
            if (annotations is not null && YamlFields.OptionalString(annotations, DryRunAnnotation, "metadata.annotations") is { } text)
            {
                // As Istio's strconv.ParseBool: anything else is a mistake, not false.
                dryRun = text.ToUpperInvariant() switch
                {
                    "1" or "T" or "TRUE" => true,
                    "0" or "F" or "FALSE" => false,
                    _ => throw new InvalidFieldException($"metadata.annotations[{DryRunAnnotation}]", $"'{YamlFields.Truncate(text)}' is not true or false"),
                };
            }
        });

        Dictionary<string, string>? selector = null;
        problems.Check(() =>
        {
            if (YamlFields.OptionalMap(spec, "selector", "spec") is { } map)
            {
                YamlFields.OnlyKeys(map, "spec.selector", new HashSet<string> { "matchLabels" });
                selector = IstioFields.Labels(map, "matchLabels", "spec.selector");
            }
        });

        var action = AuthorizationAction.Allow;
        problems.Check(() =>
        {
            action = YamlFields.OptionalString(spec, "action", "spec") switch
            {
                null or "ALLOW" => AuthorizationAction.Allow,
                "DENY" => AuthorizationAction.Deny,
                "AUDIT" => AuthorizationAction.Audit,
                "CUSTOM" => throw new InvalidFieldException("spec.action", "CUSTOM hands the decision to an external authorizer (ext_authz), which the mesh does not configure; use ALLOW, DENY or AUDIT"),
                var other => throw new InvalidFieldException("spec.action", $"'{YamlFields.Truncate(other)}' is not ALLOW, DENY, AUDIT or CUSTOM"),
            };
        });
        problems.Check(() =>
        {
            if (YamlFields.Get(spec, "provider") is not null)
            {
                throw new InvalidFieldException("spec.provider", "is only for action CUSTOM, which is not supported");
            }
        });

        var rules = new List<AuthorizationRuleSpec?>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(spec, "rules", "spec", MaxItems);
            for (var i = 0; i < (list?.Children.Count ?? 0); i++)
            {
                var node = list!.Children[i];
                rules.Add(node is YamlScalarNode scalar && YamlFields.IsNull(scalar) ? null : Rule(YamlFields.ItemMap(node, $"spec.rules[{i}]"), $"spec.rules[{i}]"));
            }
        });

        problems.ThrowIfAny();
        return new AuthorizationPolicySpec(ns, name, selector is { Count: > 0 } ? selector : null, action, rules, dryRun, created);
    }

    private static AuthorizationRuleSpec Rule(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_ruleKeys);
        var from = new List<AuthorizationSourceSpec>();
        var list = YamlFields.OptionalList(map, "from", path, MaxItems);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var at = $"{path}.from[{i}]";
            var item = YamlFields.ItemMap(list!.Children[i], at);
            YamlFields.OnlyKeys(item, at, new HashSet<string> { "source" });
            from.Add(Source(YamlFields.OptionalMap(item, "source", at) ?? throw new InvalidFieldException(at + ".source", "is required"), at + ".source"));
        }

        var to = new List<AuthorizationOperationSpec>();
        list = YamlFields.OptionalList(map, "to", path, MaxItems);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var at = $"{path}.to[{i}]";
            var item = YamlFields.ItemMap(list!.Children[i], at);
            YamlFields.OnlyKeys(item, at, new HashSet<string> { "operation" });
            to.Add(Operation(YamlFields.OptionalMap(item, "operation", at) ?? throw new InvalidFieldException(at + ".operation", "is required"), at + ".operation"));
        }

        var when = new List<AuthorizationConditionSpec>();
        list = YamlFields.OptionalList(map, "when", path, MaxItems);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var at = $"{path}.when[{i}]";
            when.Add(Condition(YamlFields.ItemMap(list!.Children[i], at), at));
        }

        return new AuthorizationRuleSpec(from, to, when);
    }

    private static AuthorizationSourceSpec Source(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_sourceKeys, s_sourceUnsupported);
        if (map.Children.Count == 0)
        {
            throw new InvalidFieldException(path, "must not be empty");
        }

        List<string> Values(string key) => NonEmpty(map, key, path);
        List<string> Blocks(string key)
        {
            var values = Values(key);
            for (var i = 0; i < values.Count; i++)
            {
                if (IstioFields.IpOrCidrProblem(values[i]) is { } problem)
                {
                    throw new InvalidFieldException($"{path}.{key}[{i}]", problem);
                }
            }

            return values;
        }

        return new AuthorizationSourceSpec(
            Values("principals"), Values("notPrincipals"), Values("namespaces"), Values("notNamespaces"),
            Blocks("ipBlocks"), Blocks("notIpBlocks"), Blocks("remoteIpBlocks"), Blocks("notRemoteIpBlocks"));
    }

    private static AuthorizationOperationSpec Operation(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_operationKeys);
        if (map.Children.Count == 0)
        {
            throw new InvalidFieldException(path, "must not be empty");
        }

        List<int> Ports(string key) => NonEmpty(map, key, path).Select((p, i) => Port(p, $"{path}.{key}[{i}]")).ToList();
        List<string> Paths(string key)
        {
            var values = NonEmpty(map, key, path);
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Contains('{', StringComparison.Ordinal))
                {
                    throw new InvalidFieldException($"{path}.{key}[{i}]", "path templates ({*}, {**}) are not supported yet");
                }
            }

            return values;
        }

        return new AuthorizationOperationSpec(
            NonEmpty(map, "hosts", path), NonEmpty(map, "notHosts", path), Ports("ports"), Ports("notPorts"),
            NonEmpty(map, "methods", path), NonEmpty(map, "notMethods", path), Paths("paths"), Paths("notPaths"));
    }

    private static AuthorizationConditionSpec Condition(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_conditionKeys);
        var key = YamlFields.RequiredString(map, "key", path);
        var values = NonEmpty(map, "values", path);
        var notValues = NonEmpty(map, "notValues", path);
        if (values.Count == 0 && notValues.Count == 0)
        {
            throw new InvalidFieldException(path, "needs values or notValues");
        }

        if (key.StartsWith("request.auth.", StringComparison.Ordinal))
        {
            throw new InvalidFieldException(path + ".key", $"{YamlFields.Truncate(key)} matches JWTs, which need RequestAuthentication; not supported");
        }

        if (key.StartsWith("request.headers[", StringComparison.Ordinal))
        {
            if (!key.EndsWith(']') || key.Length <= "request.headers[]".Length)
            {
                throw new InvalidFieldException(path + ".key", $"'{YamlFields.Truncate(key)}' must be request.headers[NAME]");
            }
        }
        else if (!s_whenKeys.Contains(key))
        {
            throw new InvalidFieldException(path + ".key", $"'{YamlFields.Truncate(key)}' is not a condition key the mesh supports ({string.Join(", ", s_whenKeys)}, request.headers[NAME])");
        }

        var all = values.Concat(notValues).ToList();
        if (key == "destination.port")
        {
            all.ForEach(v => Port(v, path + ".values"));
        }
        else if (key is "source.ip" or "remote.ip" or "destination.ip" && all.FirstOrDefault(v => IstioFields.IpOrCidrProblem(v) is not null) is { } bad)
        {
            throw new InvalidFieldException(path + ".values", $"'{YamlFields.Truncate(bad)}': {IstioFields.IpOrCidrProblem(bad)}");
        }

        return new AuthorizationConditionSpec(key, values, notValues);
    }

    /// <summary>A list of strings, none of them empty (Istio: "empty value not allowed").</summary>
    private static List<string> NonEmpty(YamlMappingNode map, string key, string path)
    {
        var values = IstioFields.Strings(map, key, path, MaxItems);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Length == 0)
            {
                throw new InvalidFieldException($"{path}.{key}[{i}]", "must not be empty");
            }
        }

        return values;
    }

    private static int Port(string text, string field) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}' is not a port number from 0 to 65535");
}
