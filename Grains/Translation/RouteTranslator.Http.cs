using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using CorsPolicy = Envoy.Extensions.Filters.Http.Cors.V3.CorsPolicy;
using FaultAbort = Envoy.Extensions.Filters.Http.Fault.V3.FaultAbort;
using FaultDelay = Envoy.Extensions.Filters.Common.Fault.V3.FaultDelay;
using FractionalPercent = Envoy.Type.V3.FractionalPercent;
using HTTPFault = Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>One VirtualService HTTP route into Envoy routes, as Istio's route.go translates it.</summary>
public static partial class RouteTranslator
{
    /// <summary>Istio's default retry conditions when a route sets no retry policy.</summary>
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>The status code Istio's default retry policy retries (the <c>retriable-status-codes</c> of <see cref="DefaultRetryOn"/>).</summary>
    public const uint DefaultRetriableStatusCode = 503;

    private static void AddRoutes(
        VirtualHost virtualHost,
        HttpRouteSpec http,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        RouteFlavor flavor,
        Func<HttpMatchSpec, bool>? applies = null)
    {
        applies ??= m => Applies(m, port);
        // A gRPC client refuses a RouteConfiguration holding a redirect or a direct response
        // (gRFC A28 accepts only route actions), so proxyless clients do not get these routes.
        if (flavor == RouteFlavor.Proxyless && (http.Redirect is not null || http.DirectResponse is not null))
        {
            return;
        }

        if (http.Redirect is null && http.DirectResponse is null && http.Route.Count == 0)
        {
            return;
        }

        var matches = http.Match.Count == 0 ? new HttpMatchSpec?[] { null } : http.Match.Where(applies).ToArray<HttpMatchSpec?>();
        foreach (var match in matches)
        {
            var route = new Route
            {
                Name = match?.Name is { } matchName ? (http.Name ?? string.Empty) + "." + matchName : http.Name ?? string.Empty,
                Match = BuildMatch(match),
            };
            if (match?.StatPrefix is { } statPrefix && flavor == RouteFlavor.Sidecar)
            {
                route.StatPrefix = statPrefix;
            }

            var authority = flavor == RouteFlavor.Sidecar ? ApplyHeaders(http.Headers, route.RequestHeadersToAdd, route.RequestHeadersToRemove, route.ResponseHeadersToAdd, route.ResponseHeadersToRemove) : null;
            if (http.Redirect is not null)
            {
                route.Redirect = BuildRedirect(http.Redirect, port);
            }
            else if (http.DirectResponse is not null)
            {
                route.DirectResponse = BuildDirectResponse(http.DirectResponse);
            }
            else
            {
                route.Route_ = BuildAction(http, route, port, destinationPorts, flavor, authority);
            }

            if (http.Fault is not null && BuildFault(http.Fault) is { } fault)
            {
                route.TypedPerFilterConfig[FaultFilter] = Any.Pack(fault);
            }

            if (http.CorsPolicy is not null && flavor == RouteFlavor.Sidecar)
            {
                route.TypedPerFilterConfig[CorsFilter] = Any.Pack(BuildCors(http.CorsPolicy));
            }

            virtualHost.Routes.Add(route);
        }
    }

    /// <summary>
    /// Whether a match applies to the mesh's proxies on <paramref name="port"/>: its port is
    /// this one (or unset), its gateways (when it names any) include <c>mesh</c>, and it has no
    /// source condition. Source labels and namespaces select proxies one by one, which a route
    /// shared by every proxy of the mesh cannot do; such a match is left out (and reported).
    /// </summary>
    public static bool Applies(HttpMatchSpec match, int port)
    {
        ArgumentNullException.ThrowIfNull(match);
        return (match.Port is null || match.Port == port)
            && (match.Gateways is not { Count: > 0 } || match.Gateways.Contains(VirtualServiceSpec.MeshGateway, StringComparer.Ordinal))
            && match.SourceLabels is not { Count: > 0 }
            && match.SourceNamespace is null;
    }

    private static RouteMatch BuildMatch(HttpMatchSpec? match)
    {
        var routeMatch = new RouteMatch();
        switch (match?.Uri)
        {
            case null:
                routeMatch.Prefix = "/";
                break;
            case { Kind: StringMatchKind.Exact } uri:
                routeMatch.Path = uri.Value;
                break;
            case { Kind: StringMatchKind.Prefix } uri:
                routeMatch.Prefix = uri.Value;
                break;
            case var uri:
                routeMatch.SafeRegex = new RegexMatcher { Regex = uri.Value };
                break;
        }

        if (match is null)
        {
            return routeMatch;
        }

        routeMatch.CaseSensitive = !match.IgnoreUriCase;
        var headers = new List<HeaderMatcher>();
        headers.AddRange(match.Headers.Select(h => HeaderMatch(h.Name, h.Match)));
        foreach (var without in match.WithoutHeaders ?? [])
        {
            var matcher = HeaderMatch(without.Name, without.Match);
            matcher.InvertMatch = true;
            matcher.TreatMissingHeaderAsEmpty = without.Match.Kind != StringMatchKind.Present;
            headers.Add(matcher);
        }

        routeMatch.Headers.AddRange(headers.OrderBy(h => h.Name, StringComparer.Ordinal));
        if (match.Method is not null)
        {
            routeMatch.Headers.Add(HeaderMatch(":method", match.Method));
        }

        if (match.Authority is not null)
        {
            routeMatch.Headers.Add(HeaderMatch(":authority", match.Authority));
        }

        if (match.Scheme is not null)
        {
            routeMatch.Headers.Add(HeaderMatch(":scheme", match.Scheme));
        }

        foreach (var query in match.QueryParams ?? [])
        {
            routeMatch.QueryParameters.Add(query.Match.Kind == StringMatchKind.Present
                ? new QueryParameterMatcher { Name = query.Name, PresentMatch = true }
                : new QueryParameterMatcher { Name = query.Name, StringMatch = StringMatcher(query.Match) });
        }

        return routeMatch;
    }

    private static HeaderMatcher HeaderMatch(string name, StringMatchSpec match) => match.Kind == StringMatchKind.Present
        ? new HeaderMatcher { Name = name, PresentMatch = true }
        : new HeaderMatcher { Name = name, StringMatch = StringMatcher(match) };

    private static StringMatcher StringMatcher(StringMatchSpec match) => match.Kind switch
    {
        StringMatchKind.Exact => new StringMatcher { Exact = match.Value },
        StringMatchKind.Prefix => new StringMatcher { Prefix = match.Value },
        _ => new StringMatcher { SafeRegex = new RegexMatcher { Regex = match.Value } },
    };

    /// <summary>
    /// The route's forwarding action. A destination whose cluster does not exist (no such Service,
    /// or no such port) is left out of a weighted route: its share goes to the others by their
    /// weights. When no destination exists (or those that do all weigh 0), the route names the
    /// clusters as declared, as Istio does, and the destination's ServiceGrain serves each such
    /// cluster with no endpoints: calls that match the route fail at once (gRPC clients with
    /// UNAVAILABLE, Envoy with 503), every other route keeps working, and no route names a
    /// cluster the proxy lacks. Dropping the route instead would send those calls to whatever
    /// route matches next, and a direct_response is refused by gRPC clients.
    /// </summary>
    private static RouteAction BuildAction(
        HttpRouteSpec http,
        Route route,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        RouteFlavor flavor,
        string? authority)
    {
        var action = new RouteAction();
        var sidecar = flavor == RouteFlavor.Sidecar;
        var destinations = RouteDestinations.Served(http, port, destinationPorts);
        if (destinations.Count == 1)
        {
            action.Cluster = DestinationCluster(destinations[0], port, destinationPorts);
            if (sidecar)
            {
                var destinationAuthority = ApplyHeaders(destinations[0].Headers, route.RequestHeadersToAdd, route.RequestHeadersToRemove, route.ResponseHeadersToAdd, route.ResponseHeadersToRemove);
                authority ??= http.Rewrite?.Authority is null ? destinationAuthority : null;
            }
        }
        else
        {
            var weighted = new WeightedCluster();
            foreach (var destination in destinations)
            {
                var clusterWeight = new WeightedCluster.Types.ClusterWeight
                {
                    Name = DestinationCluster(destination, port, destinationPorts),
                    Weight = (uint)destination.Weight,
                };
                if (sidecar && ApplyHeaders(destination.Headers, clusterWeight.RequestHeadersToAdd, clusterWeight.RequestHeadersToRemove, clusterWeight.ResponseHeadersToAdd, clusterWeight.ResponseHeadersToRemove) is { } clusterAuthority)
                {
                    clusterWeight.HostRewriteLiteral = clusterAuthority;
                }

                weighted.Clusters.Add(clusterWeight);
            }

            action.WeightedClusters = weighted;
        }

        var timeout = Duration.FromTimeSpan(http.Timeout ?? TimeSpan.Zero);
        action.Timeout = timeout;
        if (sidecar)
        {
#pragma warning disable CS0612 // Istio still sets max_grpc_timeout so gRPC's grpc-timeout header cannot exceed the route timeout.
            action.MaxGrpcTimeout = timeout;
#pragma warning restore CS0612
        }
        else if (http.Timeout is not null)
        {
            // Proxyless gRPC honours max_stream_duration rather than timeout (gRFC A31).
            action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = timeout };
        }

        if (sidecar && http.Rewrite is { } rewrite)
        {
            if (rewrite.UriRegexMatch is not null)
            {
                action.RegexRewrite = new RegexMatchAndSubstitute { Pattern = new RegexMatcher { Regex = rewrite.UriRegexMatch }, Substitution = rewrite.UriRegexRewrite ?? string.Empty };
            }
            else if (rewrite.Uri is not null)
            {
                action.PrefixRewrite = rewrite.Uri;
            }

            authority = rewrite.Authority ?? authority;
        }

        if (authority is not null)
        {
            action.HostRewriteLiteral = authority;
        }

        if (sidecar)
        {
            foreach (var mirror in http.Mirrors ?? [])
            {
                var mirrorDestination = new RouteDestinationSpec(mirror.Host, mirror.Port, 100, mirror.Subset);

                // A mirror to a cluster that does not exist is left out: a proxy never gets a route naming a cluster it lacks.
                if (mirror.Percentage > 0 && RouteDestinations.Exists(mirrorDestination, port, destinationPorts))
                {
                    action.RequestMirrorPolicies.Add(new RouteAction.Types.RequestMirrorPolicy
                    {
                        Cluster = DestinationCluster(mirrorDestination, port, destinationPorts),
                        RuntimeFraction = new RuntimeFractionalPercent { DefaultValue = Percent(mirror.Percentage) },
                        TraceSampled = false,
                    });
                }
            }
        }

        if (BuildRetryPolicy(http.Retries) is { } retry)
        {
            action.RetryPolicy = retry;
        }

        return action;
    }

    /// <summary>
    /// Istio's retry policy (retry.ConvertPolicy): its default (2 retries on connect failures,
    /// refused streams, gRPC UNAVAILABLE or CANCELLED and HTTP 503, avoiding hosts already tried)
    /// when the route sets none; none when it sets 0 attempts. A route's <c>retryOn</c> replaces
    /// the conditions and the status codes (its numbers are the codes).
    /// </summary>
    public static RetryPolicy? BuildRetryPolicy(HttpRetrySpec? retries)
    {
        if (retries is { Attempts: <= 0 })
        {
            return null;
        }

        var policy = new RetryPolicy
        {
            NumRetries = (uint)(retries?.Attempts ?? 2),
            RetryOn = DefaultRetryOn,
            HostSelectionRetryMaxAttempts = 5,
        };
        policy.RetriableStatusCodes.Add(DefaultRetriableStatusCode);
        if (retries?.RetryIgnorePreviousHosts is not false)
        {
            policy.RetryHostPredicate.Add(new RetryPolicy.Types.RetryHostPredicate
            {
                Name = "envoy.retry_host_predicates.previous_hosts",
                TypedConfig = Any.Pack(new Envoy.Extensions.Retry.Host.PreviousHosts.V3.PreviousHostsPredicate()),
            });
        }

        if (retries is null)
        {
            return policy;
        }

        if (retries.RetryOn is { } retryOn)
        {
            var words = new List<string>();
            policy.RetriableStatusCodes.Clear();
            foreach (var part in retryOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (uint.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
                {
                    policy.RetriableStatusCodes.Add(code);
                }
                else
                {
                    words.Add(part);
                }
            }

            if (policy.RetriableStatusCodes.Count > 0 && !words.Contains("retriable-status-codes"))
            {
                words.Add("retriable-status-codes");
            }

            policy.RetryOn = string.Join(',', words);
        }

        if (retries.PerTryTimeout is { } perTry)
        {
            policy.PerTryTimeout = Duration.FromTimeSpan(perTry);
        }

        if (retries.RetryRemoteLocalities is true)
        {
            policy.RetryPriority = new RetryPolicy.Types.RetryPriority
            {
                Name = "envoy.retry_priorities.previous_priorities",
                TypedConfig = PreviousPriorities(),
            };
        }

        if (retries.Backoff is { } backoff)
        {
            policy.RetryBackOff = new RetryPolicy.Types.RetryBackOff { BaseInterval = Duration.FromTimeSpan(backoff) };
        }

        return policy;
    }

    /// <summary>
    /// Envoy's PreviousPrioritiesConfig with update_frequency 2, as Istio sends it. The message
    /// is not in the project's proto subset; its one field is encoded by hand (field 1, varint).
    /// </summary>
    private static Any PreviousPriorities() => new()
    {
        TypeUrl = "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
        Value = ByteString.CopyFrom(0x08, 0x02),
    };

    private static RedirectAction BuildRedirect(HttpRedirectSpec redirect, int port)
    {
        var action = new RedirectAction { HostRedirect = redirect.Authority ?? string.Empty };
        if (redirect.PrefixRewrite is not null)
        {
            action.PrefixRewrite = redirect.PrefixRewrite;
        }
        else
        {
            action.PathRedirect = redirect.Uri ?? string.Empty;
        }

        if (redirect.Scheme is not null)
        {
            action.SchemeRedirect = redirect.Scheme;
        }

        if (redirect.Port is not null || redirect.DerivePort is not null)
        {
            // Envoy cannot derive the port from the request, but the route is built for one port, so that is the request's.
            var redirectPort = redirect.Port ?? (redirect.DerivePort == "FROM_REQUEST_PORT" ? port : 0);
            var scheme = redirect.Scheme ?? "http";
            action.PortRedirect = (redirectPort, scheme) is (80, "http") or (443, "https") ? 0u : (uint)redirectPort;
        }

        action.ResponseCode = redirect.RedirectCode switch
        {
            302 => RedirectAction.Types.RedirectResponseCode.Found,
            303 => RedirectAction.Types.RedirectResponseCode.SeeOther,
            307 => RedirectAction.Types.RedirectResponseCode.TemporaryRedirect,
            308 => RedirectAction.Types.RedirectResponseCode.PermanentRedirect,
            _ => RedirectAction.Types.RedirectResponseCode.MovedPermanently,
        };
        return action;
    }

    private static DirectResponseAction BuildDirectResponse(HttpDirectResponseSpec response)
    {
        var action = new DirectResponseAction { Status = (uint)response.Status };
        if (response.BodyString is not null)
        {
            action.Body = new DataSource { InlineString = response.BodyString };
        }
        else if (response.BodyBytes is not null)
        {
            action.Body = new DataSource { InlineBytes = ByteString.CopyFrom(response.BodyBytes) };
        }

        return action;
    }

    private static HTTPFault? BuildFault(HttpFaultSpec fault)
    {
        var result = new HTTPFault();
        if (fault.Delay is { } delay)
        {
            result.Delay = new FaultDelay { FixedDelay = Duration.FromTimeSpan(delay.FixedDelay), Percentage = Percent(delay.Percentage) };
        }

        if (fault.Abort is { } abort)
        {
            result.Abort = new FaultAbort();
            if (abort.HttpStatus is { } httpStatus)
            {
                result.Abort.HttpStatus = (uint)httpStatus;
            }
            else
            {
                result.Abort.GrpcStatus = (uint)abort.GrpcStatus!.Value;
            }

            // Unset means no request is aborted (Istio's docs; Envoy reads a missing percentage as
            // 0 %). Istio leaves it out; it is sent as 0 % because a gRPC client rejects the whole
            // RouteConfiguration when an abort has no percentage.
            result.Abort.Percentage = Percent(abort.Percentage ?? 0);
        }

        return result.Delay is null && result.Abort is null ? null : result;
    }

    private static CorsPolicy BuildCors(CorsPolicySpec cors)
    {
        var policy = new CorsPolicy
        {
            AllowMethods = string.Join(',', cors.AllowMethods),
            AllowHeaders = string.Join(',', cors.AllowHeaders),
            ExposeHeaders = string.Join(',', cors.ExposeHeaders),
            FilterEnabled = new RuntimeFractionalPercent { DefaultValue = new FractionalPercent { Numerator = 100, Denominator = FractionalPercent.Types.DenominatorType.Hundred } },
            ForwardNotMatchingPreflights = cors.UnmatchedPreflights != "IGNORE",
        };
        policy.AllowOriginStringMatch.AddRange(cors.AllowOrigins.Select(StringMatcher));
        if (cors.MaxAge is { } maxAge)
        {
            policy.MaxAge = ((long)maxAge.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (cors.AllowCredentials is { } credentials)
        {
            policy.AllowCredentials = credentials;
        }

        return policy;
    }

    /// <summary>
    /// Adds Istio's header operations to an Envoy route or weighted cluster: set overwrites,
    /// add appends, both sorted by name; pseudo-headers and <c>host</c> are left out. Returns the
    /// authority a request operation sets (<c>:authority</c> or <c>host</c>), which Envoy takes as
    /// a host rewrite, or null.
    /// </summary>
    private static string? ApplyHeaders(
        HeadersSpec? headers,
        ICollection<HeaderValueOption> requestToAdd,
        ICollection<string> requestToRemove,
        ICollection<HeaderValueOption> responseToAdd,
        ICollection<string> responseToRemove)
    {
        if (headers is null)
        {
            return null;
        }

        static bool IsInternal(string name) => name.StartsWith(':') || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);
        static bool IsAuthority(string name) => string.Equals(name, ":authority", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

        static void Add(HeaderOperationsSpec? operations, ICollection<HeaderValueOption> toAdd, ICollection<string> toRemove)
        {
            foreach (var (values, action) in new[]
            {
                (operations?.Set ?? [], HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd),
                (operations?.Add ?? [], HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd),
            })
            {
                foreach (var header in values.Where(h => !IsInternal(h.Name)))
                {
                    toAdd.Add(new HeaderValueOption { Header = new HeaderValue { Key = header.Name, Value = header.Value }, AppendAction = action });
                }
            }

            foreach (var name in (operations?.Remove ?? []).Where(n => !IsInternal(n)))
            {
                toRemove.Add(name);
            }
        }

        Add(headers.Request, requestToAdd, requestToRemove);
        Add(headers.Response, responseToAdd, responseToRemove);
        var request = headers.Request;
        return request?.Set.LastOrDefault(h => IsAuthority(h.Name))?.Value ?? request?.Add.LastOrDefault(h => IsAuthority(h.Name))?.Value;
    }

    /// <summary>A percentage as Envoy's fraction of a million, as Istio writes it.</summary>
    private static FractionalPercent Percent(double percentage) =>
        new() { Numerator = (uint)Math.Round(percentage * 10_000), Denominator = FractionalPercent.Types.DenominatorType.Million };

    private static string DestinationCluster(
        RouteDestinationSpec destination,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts) =>
        MeshNames.OutboundCluster(destination.Host, RouteDestinations.Port(destination, port, destinationPorts), destination.Subset ?? string.Empty);
}
