using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Envoy's RBAC filters (<c>envoy.filters.http.rbac</c>, <c>envoy.filters.network.rbac</c>) applied to a
/// call, as Envoy's RBAC engine evaluates them: filters in order; a filter with <c>rules</c> of action
/// ALLOW denies a call no policy matches, of action DENY one some policy matches, LOG never; shadow
/// rules never decide. A policy matches when one of its permissions and one of its principals do.
/// The peer's identity is the call's client certificate identity (none on plaintext).
/// </summary>
internal static class RbacEvaluator
{
    /// <summary>Why the RBAC filters among <paramref name="filters"/> (name and typed config) deny <paramref name="call"/> to <paramref name="port"/>, or null.</summary>
    public static string? Denies(IEnumerable<(string Name, Any? Config)> filters, Call call, int port, bool http)
    {
        foreach (var (name, config) in filters)
        {
            RBAC? rules;
            if (http && name.StartsWith("envoy.filters.http.rbac", StringComparison.Ordinal) && config is not null)
            {
                rules = config.Unpack<Envoy.Extensions.Filters.Http.Rbac.V3.RBAC>().Rules;
            }
            else if (!http && name == "envoy.filters.network.rbac" && config is not null)
            {
                rules = config.Unpack<Envoy.Extensions.Filters.Network.Rbac.V3.RBAC>().Rules;
            }
            else
            {
                continue;
            }

            if (rules is null)
            {
                continue;
            }

            var matched = rules.Policies.Where(p => Matches(p.Value, call, port, http)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            switch (rules.Action)
            {
                case RBAC.Types.Action.Allow when matched.Count == 0:
                    return $"{name}: no ALLOW policy matches (RBAC: access denied)";
                case RBAC.Types.Action.Deny when matched.Count > 0:
                    return $"{name}: DENY policy {matched[0]} matches (RBAC: access denied)";
            }
        }

        return null;
    }

    private static bool Matches(Policy policy, Call call, int port, bool http) =>
        policy.Permissions.Any(p => Matches(p, call, port, http)) && policy.Principals.Any(p => Matches(p, call, http));

    private static bool Matches(Permission permission, Call call, int port, bool http) => permission.RuleCase switch
    {
        Permission.RuleOneofCase.AndRules => permission.AndRules.Rules.All(r => Matches(r, call, port, http)),
        Permission.RuleOneofCase.OrRules => permission.OrRules.Rules.Any(r => Matches(r, call, port, http)),
        Permission.RuleOneofCase.Any => permission.Any,
        Permission.RuleOneofCase.Header => http && Matches(permission.Header, call),
        Permission.RuleOneofCase.UrlPath => http && RouteMatcher.StringMatches(permission.UrlPath.Path, call.Path.Split('?')[0]),
        Permission.RuleOneofCase.DestinationIp => InRange(call.Address, permission.DestinationIp),
        Permission.RuleOneofCase.DestinationPort => permission.DestinationPort == port,
        Permission.RuleOneofCase.NotRule => !Matches(permission.NotRule, call, port, http),
        Permission.RuleOneofCase.RequestedServerName => RouteMatcher.StringMatches(permission.RequestedServerName, call.Sni ?? string.Empty),
        _ => throw new NotSupportedException($"RBAC permission {permission.RuleCase} is not modelled"),
    };

    private static bool Matches(Principal principal, Call call, bool http) => principal.IdentifierCase switch
    {
        Principal.IdentifierOneofCase.AndIds => principal.AndIds.Ids.All(p => Matches(p, call, http)),
        Principal.IdentifierOneofCase.OrIds => principal.OrIds.Ids.Any(p => Matches(p, call, http)),
        Principal.IdentifierOneofCase.Any => principal.Any,
        Principal.IdentifierOneofCase.Authenticated => call.ClientIdentity is { } identity && (principal.Authenticated.PrincipalName is null || RouteMatcher.StringMatches(principal.Authenticated.PrincipalName, identity)),
        Principal.IdentifierOneofCase.DirectRemoteIp => InRange(call.SourceAddress, principal.DirectRemoteIp),
        Principal.IdentifierOneofCase.RemoteIp => InRange(call.SourceAddress, principal.RemoteIp),
        Principal.IdentifierOneofCase.Header => http && Matches(principal.Header, call),
        Principal.IdentifierOneofCase.NotId => !Matches(principal.NotId, call, http),
        _ => throw new NotSupportedException($"RBAC principal {principal.IdentifierCase} is not modelled"),
    };

    private static bool Matches(HeaderMatcher matcher, Call call)
    {
        var value = matcher.Name switch
        {
            ":authority" => call.EffectiveAuthority,
            ":method" => call.Method,
            ":path" => call.Path,
            _ => call.Headers.Where(h => string.Equals(h.Key, matcher.Name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault(),
        };
        var result = matcher.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch => value is not null == matcher.PresentMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => value is not null && RouteMatcher.StringMatches(matcher.StringMatch, value),
            _ => throw new NotSupportedException($"RBAC header matcher {matcher.HeaderMatchSpecifierCase} is not modelled"),
        };
        return result != matcher.InvertMatch;
    }

    private static bool InRange(string address, CidrRange range)
    {
        if (!IPAddress.TryParse(address, out var ip) || !IPAddress.TryParse(range.AddressPrefix, out var prefix) || ip.AddressFamily != prefix.AddressFamily)
        {
            return false;
        }

        var bits = (int)(range.PrefixLen ?? (uint)(prefix.GetAddressBytes().Length * 8));
        var a = ip.GetAddressBytes();
        var b = prefix.GetAddressBytes();
        for (var i = 0; i < bits; i++)
        {
            var mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
