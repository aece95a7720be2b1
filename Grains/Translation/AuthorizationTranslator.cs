using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// AuthorizationPolicies as Envoy's RBAC filters, in Istio's shapes (pilot/pkg/security/authz/builder
/// and model): one filter per action, AUDIT (RBAC <c>LOG</c>), then DENY, then ALLOW; each rule a
/// policy <c>ns[NS]-policy[NAME]-rule[I]</c> whose permissions are its <c>to</c> entries and whose
/// principals are its <c>from</c> entries (any of each), every field's values OR'ed and every field
/// AND'ed, <c>when</c> conditions joined to each; a policy without rules a rule that matches nothing
/// (so an ALLOW policy without rules denies everything); dry-run policies as shadow rules. On a TCP
/// chain, a rule naming an HTTP-only field is dropped when it allows and broadened (the field left
/// out) when it denies or audits, as Istio does. Pure.
/// </summary>
public static class AuthorizationTranslator
{
    /// <summary>The HTTP RBAC filter's name.</summary>
    public const string HttpRbacName = "envoy.filters.http.rbac";

    /// <summary>The network RBAC filter's name.</summary>
    public const string NetworkRbacName = "envoy.filters.network.rbac";

    /// <summary>The HTTP RBAC filters of an Envoy sidecar's inbound HTTP connection manager, before the router; none without policies.</summary>
    public static IReadOnlyList<HttpFilter> HttpFilters(IReadOnlyList<AuthorizationPolicySpec> policies, string trustDomain)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var filters = new List<HttpFilter>();
        foreach (var action in new[] { AuthorizationAction.Audit, AuthorizationAction.Deny, AuthorizationAction.Allow })
        {
            var (rules, shadow) = Rules(policies, action, tcp: false, trustDomain, KeyOf);
            if (rules is null && shadow is null)
            {
                continue;
            }

            var rbac = new HttpRbac { Rules = rules, ShadowRules = shadow, ShadowRulesStatPrefix = ShadowPrefix(shadow) };
            filters.Add(new HttpFilter { Name = HttpRbacName, TypedConfig = Any.Pack(rbac) });
        }

        return filters;
    }

    /// <summary>The network RBAC filters of an Envoy sidecar's inbound TCP chain, before the TCP proxy; none without policies.</summary>
    public static IReadOnlyList<Filter> NetworkFilters(IReadOnlyList<AuthorizationPolicySpec> policies, string trustDomain)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var filters = new List<Filter>();
        foreach (var action in new[] { AuthorizationAction.Audit, AuthorizationAction.Deny, AuthorizationAction.Allow })
        {
            var (rules, shadow) = Rules(policies, action, tcp: true, trustDomain, KeyOf);
            if (rules is null && shadow is null)
            {
                continue;
            }

            var rbac = new NetworkRbac { Rules = rules, ShadowRules = shadow, StatPrefix = "tcp.", ShadowRulesStatPrefix = ShadowPrefix(shadow) };
            filters.Add(new Filter { Name = NetworkRbacName, TypedConfig = Any.Pack(rbac) });
        }

        return filters;
    }

    /// <summary>
    /// The RBAC filters of a proxyless gRPC server (Istio's grpcgen): DENY as
    /// <c>envoy.filters.http.rbac.DENY</c>, then ALLOW as <c>envoy.filters.http.rbac</c> (gRPC wants
    /// unique filter names). gRPC has no LOG action and no shadow rules: AUDIT and dry-run policies
    /// are left out (Istio enforces dry-run policies on gRPC; a policy marked dry-run is never enforced here).
    /// </summary>
    public static IReadOnlyList<HttpFilter> ProxylessFilters(IReadOnlyList<AuthorizationPolicySpec> policies, string trustDomain)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var enforced = policies.Where(p => !p.DryRun).ToList();
        var filters = new List<HttpFilter>();
        foreach (var (action, name) in new[] { (AuthorizationAction.Deny, HttpRbacName + ".DENY"), (AuthorizationAction.Allow, HttpRbacName) })
        {
            var (rules, _) = Rules(enforced, action, tcp: false, trustDomain, static (p, i) => $"{p.Namespace}-{p.Name}-{i}");
            if (rules is not null)
            {
                filters.Add(new HttpFilter { Name = name, TypedConfig = Any.Pack(new HttpRbac { Rules = rules }) });
            }
        }

        return filters;
    }

    private static string KeyOf(AuthorizationPolicySpec policy, int rule) => $"ns[{policy.Namespace}]-policy[{policy.Name}]-rule[{rule}]";

    // Istio sets the allow prefix when there are no shadow rules too (its getter's default); kept for parity.
    private static string ShadowPrefix(RBAC? shadow) => shadow?.Action switch
    {
        RBAC.Types.Action.Deny => "istio_dry_run_deny_",
        RBAC.Types.Action.Log => string.Empty,
        _ => "istio_dry_run_allow_",
    };

    /// <summary>The enforced and the dry-run rules of <paramref name="action"/>'s policies; null where there are none.</summary>
    private static (RBAC? Rules, RBAC? Shadow) Rules(IReadOnlyList<AuthorizationPolicySpec> policies, AuthorizationAction action, bool tcp, string trustDomain, Func<AuthorizationPolicySpec, int, string> key)
    {
        var ofAction = policies.Where(p => p.Action == action).ToList();
        if (ofAction.Count == 0)
        {
            return (null, null);
        }

        var envoyAction = action switch
        {
            AuthorizationAction.Deny => RBAC.Types.Action.Deny,
            AuthorizationAction.Audit => RBAC.Types.Action.Log,
            _ => RBAC.Types.Action.Allow,
        };
        RBAC? rules = ofAction.Any(p => !p.DryRun) ? new RBAC { Action = envoyAction } : null;
        RBAC? shadow = ofAction.Any(p => p.DryRun) ? new RBAC { Action = envoyAction } : null;
        foreach (var policy in ofAction)
        {
            var target = policy.DryRun ? shadow! : rules!;
            if (policy.Rules.Count == 0)
            {
                target.Policies[key(policy, 0)] = MatchNever();
                continue;
            }

            for (var i = 0; i < policy.Rules.Count; i++)
            {
                if (policy.Rules[i] is { } rule && Policy(rule, action, tcp, trustDomain) is { } built)
                {
                    target.Policies[key(policy, i)] = built;
                }
            }
        }

        return (rules, shadow);
    }

    private static Policy MatchNever() => new()
    {
        Permissions = { new Permission { NotRule = new Permission { Any = true } } },
        Principals = { new Principal { NotId = new Principal { Any = true } } },
    };

    /// <summary>One rule as an Envoy policy, or null when a TCP chain cannot apply it and it allows (dropped, as Istio does).</summary>
    private static Policy? Policy(AuthorizationRuleSpec rule, AuthorizationAction action, bool tcp, string trustDomain)
    {
        if (tcp && action == AuthorizationAction.Allow && NamesHttpOnly(rule))
        {
            return null;
        }

        var policy = new Policy();
        var whenPermissions = new List<Permission>();
        var whenPrincipals = new List<Principal>();
        foreach (var condition in rule.When)
        {
            switch (condition.Key)
            {
                case "destination.port":
                    whenPermissions.AddRange(PermissionBlock(condition.Values, condition.NotValues, v => new Permission { DestinationPort = uint.Parse(v, System.Globalization.CultureInfo.InvariantCulture) }));
                    break;
                case "destination.ip":
                    whenPermissions.AddRange(PermissionBlock(condition.Values, condition.NotValues, v => new Permission { DestinationIp = Cidr(v) }));
                    break;
                case "connection.sni":
                    whenPermissions.AddRange(PermissionBlock(condition.Values, condition.NotValues, v => new Permission { RequestedServerName = Match(v, string.Empty) }));
                    break;
                case "source.ip":
                    whenPrincipals.AddRange(PrincipalBlock(condition.Values, condition.NotValues, v => new Principal { DirectRemoteIp = Cidr(v) }));
                    break;
                case "remote.ip":
                    whenPrincipals.AddRange(PrincipalBlock(condition.Values, condition.NotValues, v => new Principal { RemoteIp = Cidr(v) }));
                    break;
                case "source.namespace":
                    whenPrincipals.AddRange(PrincipalBlock(condition.Values, condition.NotValues, NamespacePrincipal));
                    break;
                case "source.principal":
                    whenPrincipals.AddRange(PrincipalBlock(condition.Values.SelectMany(v => WithTrustDomain(v, trustDomain)).ToList(), condition.NotValues.SelectMany(v => WithTrustDomain(v, trustDomain)).ToList(), Authenticated));
                    break;
                default:
                    if (!tcp && condition.Key.StartsWith("request.headers[", StringComparison.Ordinal))
                    {
                        var header = condition.Key["request.headers[".Length..^1];
                        whenPrincipals.AddRange(PrincipalBlock(condition.Values, condition.NotValues, v => new Principal { Header = Header(header, v, ignoreCase: false) }));
                    }

                    break;
            }
        }

        foreach (var operation in rule.To.Count > 0 ? rule.To.Cast<AuthorizationOperationSpec?>() : [null])
        {
            var and = new List<Permission>();
            if (operation is not null)
            {
                if (!tcp)
                {
                    and.AddRange(PermissionBlock(operation.Hosts, operation.NotHosts, v => new Permission { Header = Header(":authority", v, ignoreCase: true) }));
                    and.AddRange(PermissionBlock(operation.Methods, operation.NotMethods, v => new Permission { Header = Header(":method", v, ignoreCase: false) }));
                    and.AddRange(PermissionBlock(operation.Paths, operation.NotPaths, v => new Permission { UrlPath = new PathMatcher { Path = Match(v, string.Empty) } }));
                }

                and.AddRange(PermissionBlock(operation.Ports.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(), operation.NotPorts.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(), v => new Permission { DestinationPort = uint.Parse(v, System.Globalization.CultureInfo.InvariantCulture) }));
            }

            and.AddRange(whenPermissions);
            var set = new Permission.Types.Set();
            set.Rules.AddRange(and.Count > 0 ? and : [new Permission { Any = true }]);
            policy.Permissions.Add(new Permission { AndRules = set });
        }

        foreach (var source in rule.From.Count > 0 ? rule.From.Cast<AuthorizationSourceSpec?>() : [null])
        {
            var and = new List<Principal>();
            if (source is not null)
            {
                and.AddRange(PrincipalBlock(source.Principals.SelectMany(v => WithTrustDomain(v, trustDomain)).ToList(), source.NotPrincipals.SelectMany(v => WithTrustDomain(v, trustDomain)).ToList(), Authenticated));
                and.AddRange(PrincipalBlock(source.Namespaces, source.NotNamespaces, NamespacePrincipal));
                and.AddRange(PrincipalBlock(source.RemoteIpBlocks, source.NotRemoteIpBlocks, v => new Principal { RemoteIp = Cidr(v) }));
                and.AddRange(PrincipalBlock(source.IpBlocks, source.NotIpBlocks, v => new Principal { DirectRemoteIp = Cidr(v) }));
            }

            and.AddRange(whenPrincipals);
            var set = new Principal.Types.Set();
            set.Ids.AddRange(and.Count > 0 ? and : [new Principal { Any = true }]);
            policy.Principals.Add(new Principal { AndIds = set });
        }

        return policy;
    }

    private static bool NamesHttpOnly(AuthorizationRuleSpec rule) =>
        rule.To.Any(o => o.Hosts.Count + o.NotHosts.Count + o.Methods.Count + o.NotMethods.Count + o.Paths.Count + o.NotPaths.Count > 0)
        || rule.When.Any(c => c.Key.StartsWith("request.", StringComparison.Ordinal));

    private static IEnumerable<Permission> PermissionBlock(IReadOnlyList<string> values, IReadOnlyList<string> notValues, Func<string, Permission> leaf)
    {
        if (values.Count > 0)
        {
            var set = new Permission.Types.Set();
            set.Rules.AddRange(values.Select(leaf));
            yield return new Permission { OrRules = set };
        }

        if (notValues.Count > 0)
        {
            var set = new Permission.Types.Set();
            set.Rules.AddRange(notValues.Select(leaf));
            yield return new Permission { NotRule = new Permission { OrRules = set } };
        }
    }

    private static IEnumerable<Principal> PrincipalBlock(IReadOnlyList<string> values, IReadOnlyList<string> notValues, Func<string, Principal> leaf)
    {
        if (values.Count > 0)
        {
            var set = new Principal.Types.Set();
            set.Ids.AddRange(values.Select(leaf));
            yield return new Principal { OrIds = set };
        }

        if (notValues.Count > 0)
        {
            var set = new Principal.Types.Set();
            set.Ids.AddRange(notValues.Select(leaf));
            yield return new Principal { NotId = new Principal { OrIds = set } };
        }
    }

    private static Principal Authenticated(string value) => new() { Authenticated = new Principal.Types.Authenticated { PrincipalName = Match(value, "spiffe://") } };

    /// <summary>A namespace as Istio matches it: the principal's <c>/ns/NAME/</c> segment, every <c>*</c> a wildcard.</summary>
    private static Principal NamespacePrincipal(string value)
    {
        var regex = string.Join(".*", value.Split('*').Select(QuoteMeta));
        return new Principal { Authenticated = new Principal.Types.Authenticated { PrincipalName = new StringMatcher { SafeRegex = new RegexMatcher { Regex = $".*/ns/{regex}/.*" } } } };
    }

    /// <summary>A principal written with Istio's default trust domain (<c>cluster.local/ns/…</c>) names the mesh's (Istio's trust-domain rewrite, without aliases).</summary>
    private static IEnumerable<string> WithTrustDomain(string value, string trustDomain)
    {
        var parts = value.Split('/');
        yield return parts.Length == 5 && parts[0] == "cluster.local" ? trustDomain + value["cluster.local".Length..] : value;
    }

    /// <summary>Istio's <c>StringMatcherWithPrefix</c>: <c>*</c> any non-empty value, a leading <c>*</c> a suffix, a trailing one a prefix, else exact; <paramref name="prefix"/> put in front.</summary>
    private static StringMatcher Match(string value, string prefix)
    {
        if (value == "*")
        {
            return new StringMatcher { SafeRegex = new RegexMatcher { Regex = ".+" } };
        }

        if (value.StartsWith('*'))
        {
            return prefix.Length == 0
                ? new StringMatcher { Suffix = value[1..] }
                : new StringMatcher { SafeRegex = new RegexMatcher { Regex = QuoteMeta(prefix) + ".*" + QuoteMeta(value[1..]) } };
        }

        return value.EndsWith('*') ? new StringMatcher { Prefix = prefix + value[..^1] } : new StringMatcher { Exact = prefix + value };
    }

    private static HeaderMatcher Header(string name, string value, bool ignoreCase)
    {
        if (value == "*")
        {
            return new HeaderMatcher { Name = name, PresentMatch = true };
        }

        var match = value.StartsWith('*') ? new StringMatcher { Suffix = value[1..] }
            : value.EndsWith('*') ? new StringMatcher { Prefix = value[..^1] }
            : new StringMatcher { Exact = value };
        match.IgnoreCase = ignoreCase;
        return new HeaderMatcher { Name = name, StringMatch = match };
    }

    private static CidrRange Cidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? value : value[..slash];
        var length = slash < 0
            ? (address.Contains(':', StringComparison.Ordinal) ? 128u : 32u)
            : uint.Parse(value[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new CidrRange { AddressPrefix = address, PrefixLen = length };
    }

    /// <summary>Go's <c>regexp.QuoteMeta</c>: RE2's special characters escaped, nothing else.</summary>
    private static string QuoteMeta(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (@"\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
