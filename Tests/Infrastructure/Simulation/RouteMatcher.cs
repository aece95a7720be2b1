using System.Globalization;
using System.Text.RegularExpressions;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Envoy's route matching (RouteMatch): the routes of a virtual host are tried in order and the
/// first whose every condition holds wins. A route matches on its path specifier (<c>prefix</c>
/// against the whole <c>:path</c>; <c>path</c>, <c>safe_regex</c> and <c>path_separated_prefix</c>
/// against the path without its query string; <c>case_sensitive</c>, true by default, governs
/// the first, second and fourth), then every header matcher, then every query parameter
/// matcher, then the gRPC condition.
/// </summary>
internal static class RouteMatcher
{
    private static readonly TimeSpan s_regexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The first route of <paramref name="host"/> that matches <paramref name="request"/>, or
    /// null; <paramref name="unsupported"/> names a condition this simulator does not model,
    /// met on the way (matching stops there rather than guess).
    /// </summary>
    public static Route? Match(VirtualHost host, Request request, out string? unsupported)
    {
        unsupported = null;
        foreach (var route in host.Routes)
        {
            var match = route.Match ?? new RouteMatch();
            if (match.RuntimeFraction is not null || match.TlsContext is not null)
            {
                unsupported = $"route '{route.Name}' of virtual host '{host.Name}' matches on runtime_fraction or tls_context";
                return null;
            }

            if (match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.None)
            {
                unsupported = $"route '{route.Name}' of virtual host '{host.Name}' has no path specifier";
                return null;
            }

            if (PathMatches(match, request)
                && match.Headers.All(h => HeaderMatches(h, request))
                && match.QueryParameters.All(q => QueryParameterMatches(q, request))
                && (match.Grpc is null || (request.Header("content-type")?.StartsWith("application/grpc", StringComparison.Ordinal) ?? false)))
            {
                return route;
            }
        }

        return null;
    }

    private static bool PathMatches(RouteMatch match, Request request)
    {
        var comparison = match.CaseSensitive ?? true ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => request.FullPath.StartsWith(match.Prefix, comparison),
            RouteMatch.PathSpecifierOneofCase.Path => string.Equals(request.PathOnly, match.Path, comparison),
            RouteMatch.PathSpecifierOneofCase.SafeRegex => FullMatch(match.SafeRegex.Regex, request.PathOnly, ignoreCase: false),
            RouteMatch.PathSpecifierOneofCase.PathSeparatedPrefix =>
                string.Equals(request.PathOnly, match.PathSeparatedPrefix, comparison)
                || request.PathOnly.StartsWith(match.PathSeparatedPrefix + "/", comparison),
            RouteMatch.PathSpecifierOneofCase.ConnectMatcher => request.Header(":method") == "CONNECT",
            _ => false,
        };
    }

    /// <summary>
    /// A header matcher (HeaderMatcher): an absent header fails every matcher but <c>present_match</c>,
    /// inverted or not, unless <c>treat_missing_header_as_empty</c> makes it the empty string;
    /// <c>invert_match</c> turns the result of a present (or treated-as-empty) header around.
    /// </summary>
    public static bool HeaderMatches(HeaderMatcher matcher, Request request)
    {
        var value = request.Header(matcher.Name);
        if (matcher.HeaderMatchSpecifierCase == HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch)
        {
            return (value is not null == matcher.PresentMatch) != matcher.InvertMatch;
        }

        if (value is null)
        {
            if (!matcher.TreatMissingHeaderAsEmpty)
            {
                return false;
            }

            value = string.Empty;
        }

        // The deprecated specifiers are still Envoy's API, and Istio-era configs use them.
#pragma warning disable CS0612
        var matches = matcher.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => value == matcher.ExactMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => value.StartsWith(matcher.PrefixMatch, StringComparison.Ordinal),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SuffixMatch => value.EndsWith(matcher.SuffixMatch, StringComparison.Ordinal),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ContainsMatch => value.Contains(matcher.ContainsMatch, StringComparison.Ordinal),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch => FullMatch(matcher.SafeRegexMatch.Regex, value, ignoreCase: false),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => StringMatches(matcher.StringMatch, value),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.RangeMatch =>
                long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                && number >= matcher.RangeMatch.Start && number < matcher.RangeMatch.End,

            // A matcher with no specifier matches any present value.
            _ => true,
        };
#pragma warning restore CS0612
        return matches != matcher.InvertMatch;
    }

    /// <summary>A query parameter matcher: the parameter must be present, and its first value match the string matcher if one is set.</summary>
    private static bool QueryParameterMatches(QueryParameterMatcher matcher, Request request)
    {
        var value = request.QueryParameter(matcher.Name);
        if (value is null)
        {
            return false;
        }

        return matcher.QueryParameterMatchSpecifierCase switch
        {
            QueryParameterMatcher.QueryParameterMatchSpecifierOneofCase.StringMatch => StringMatches(matcher.StringMatch, value),
            QueryParameterMatcher.QueryParameterMatchSpecifierOneofCase.PresentMatch => matcher.PresentMatch,
            _ => true,
        };
    }

    /// <summary>StringMatcher: <c>ignore_case</c> applies to all but <c>safe_regex</c>.</summary>
    public static bool StringMatches(StringMatcher matcher, string value)
    {
        var comparison = matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return matcher.MatchPatternCase switch
        {
            StringMatcher.MatchPatternOneofCase.Exact => string.Equals(value, matcher.Exact, comparison),
            StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(matcher.Prefix, comparison),
            StringMatcher.MatchPatternOneofCase.Suffix => value.EndsWith(matcher.Suffix, comparison),
            StringMatcher.MatchPatternOneofCase.Contains => value.Contains(matcher.Contains, comparison),
            StringMatcher.MatchPatternOneofCase.SafeRegex => FullMatch(matcher.SafeRegex.Regex, value, ignoreCase: false),
            _ => throw new ArgumentException("StringMatcher has no match_pattern", nameof(matcher)),
        };
    }

    /// <summary>RE2 semantics as Envoy uses them: the whole value must match, not a part of it.</summary>
    public static bool FullMatch(string pattern, string value, bool ignoreCase)
    {
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return Regex.IsMatch(value, $"\\A(?:{pattern})\\z", options, s_regexTimeout);
    }
}
