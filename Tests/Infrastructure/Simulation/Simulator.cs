using System.Globalization;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.HttpInspector.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.Reflection;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Follows a call through the configuration a proxy holds, as Envoy would (after Istio's
/// <c>pilot/pkg/simulation</c>): the listener that receives it (iptables sends outbound calls to
/// 15001 and inbound ones to 15006; a receiving listener with <c>use_original_dst</c> hands the
/// connection to the listener of its original destination, exact address before <c>0.0.0.0</c>,
/// bound or not), the listener filters that run (original destination, TLS and HTTP
/// inspectors), the filter chain, then either a TCP proxy's cluster or, through the HTTP
/// connection manager, the RouteConfiguration, virtual host, route and what it does; and the
/// endpoints of the cluster reached. Every step that finds nothing stops with a
/// <see cref="SimulationFailure"/> naming the resource at fault.
/// </summary>
public sealed class Simulator
{
    /// <summary>The port iptables redirects a workload's outbound traffic to.</summary>
    public const int OutboundRedirectPort = 15001;

    /// <summary>The port iptables redirects a workload's inbound traffic to.</summary>
    public const int InboundRedirectPort = 15006;

    /// <summary>The most calls <see cref="Distribute"/> sends.</summary>
    public const int MaxCalls = 1_000_000;

    private const string OriginalDstName = "envoy.filters.listener.original_dst";
    private const string TlsInspectorName = "envoy.filters.listener.tls_inspector";
    private const string HttpInspectorName = "envoy.filters.listener.http_inspector";
    private const string HttpConnectionManagerName = "envoy.filters.network.http_connection_manager";
    private const string TcpProxyName = "envoy.filters.network.tcp_proxy";

    /// <summary>A simulator of the proxy holding <paramref name="config"/>.</summary>
    public Simulator(ProxyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
    }

    /// <summary>What the proxy holds.</summary>
    public ProxyConfig Config { get; }

    /// <summary>
    /// Where <paramref name="call"/> goes. A weighted split is drawn with <paramref name="random"/>
    /// when one is given (Envoy takes a random value modulo the total weight and walks the clusters
    /// in order); without one the result lists the split's clusters, and fails with
    /// <see cref="SimulationFailure.ClusterMissing"/> if any of them is missing.
    /// </summary>
    public Result Simulate(Call call, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        var result = new Result { Call = call };

        var (listener, accepting, destination) = SelectListener(call, out var listenerFailure);
        if (listener is null)
        {
            return Fail(result, listenerFailure!.Value.Failure, listenerFailure.Value.Error);
        }

        result = result with { Listener = listener.Name, HandedOffFrom = accepting == listener ? null : accepting!.Name };
        if (FilterChainMatcher.Overlap(listener) is { } overlap)
        {
            return Fail(result, SimulationFailure.InvalidConfig, overlap);
        }

        var connection = Inspect(listener, call, destination);
        var chain = FilterChainMatcher.Match(listener, connection, out var ambiguity);
        if (ambiguity is not null)
        {
            return Fail(result, SimulationFailure.InvalidConfig, ambiguity);
        }

        if (chain is null)
        {
            return Fail(result, SimulationFailure.NoFilterChain, $"listener {listener.Name} has no filter chain for {connection.DestinationAddress}:{connection.DestinationPort} ({connection.TransportProtocol}, ALPN [{string.Join(",", connection.ApplicationProtocols)}]) and no default filter chain");
        }

        result = result with { FilterChain = chain == listener.DefaultFilterChain && chain.Name.Length == 0 ? "(default)" : chain.Name };
        if (chain.TransportSocket is not null)
        {
            if (call.Protocol != CallProtocol.Tls)
            {
                return Fail(result, SimulationFailure.ProtocolMismatch, $"filter chain '{chain.Name}' of listener {listener.Name} expects TLS, the call is plaintext");
            }

            if (call.Inside is not { } inside)
            {
                return Fail(result, SimulationFailure.Unsupported, $"filter chain '{chain.Name}' of listener {listener.Name} terminates TLS, and the call does not say what it carries inside");
            }

            if (Handshake(chain.TransportSocket, call) is { } refused)
            {
                return Fail(result, SimulationFailure.TlsHandshake, $"filter chain '{chain.Name}' of listener {listener.Name}: {refused}");
            }

            // Terminated: what follows sees the protocol inside.
            call = call with { Protocol = inside };
        }

        var terminal = chain.Filters.LastOrDefault();
        if (Is(terminal, HttpConnectionManagerName, HttpConnectionManager.Descriptor))
        {
            if (!call.IsHttp)
            {
                return Fail(result, SimulationFailure.ProtocolMismatch, $"filter chain '{chain.Name}' of listener {listener.Name} is an HTTP connection manager, the call speaks {call.Protocol}");
            }

            return Http(result, listener, chain, terminal!.TypedConfig.Unpack<HttpConnectionManager>(), destination, random);
        }

        if (Is(terminal, TcpProxyName, TcpProxy.Descriptor))
        {
            if (RbacEvaluator.Denies(chain.Filters.Select(f => (f.Name, (Google.Protobuf.WellKnownTypes.Any?)f.TypedConfig)), call, destination.Port, http: false) is { } denied)
            {
                return Fail(result, SimulationFailure.Denied, $"filter chain '{chain.Name}' of listener {listener.Name}: {denied}");
            }

            var proxy = terminal!.TypedConfig.Unpack<TcpProxy>();
            var owner = $"tcp_proxy of filter chain '{chain.Name}' of listener {listener.Name}";
            return proxy.ClusterSpecifierCase switch
            {
                TcpProxy.ClusterSpecifierOneofCase.Cluster => Forward(result, proxy.Cluster, owner, destination),
                TcpProxy.ClusterSpecifierOneofCase.WeightedClusters => Split(result, proxy.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)).ToList(), owner, destination, random),
                _ => Fail(result, SimulationFailure.InvalidConfig, $"{owner} names no cluster"),
            };
        }

        return Fail(result, SimulationFailure.Unsupported, $"filter chain '{chain.Name}' of listener {listener.Name} ends in '{terminal?.Name}', neither an HTTP connection manager nor a TCP proxy");
    }

    /// <summary>
    /// Sends <paramref name="calls"/> copies of <paramref name="call"/> with a random seeded by
    /// <paramref name="seed"/> and counts where they end (<see cref="Result.Destination"/>: the
    /// cluster, or <c>error ClusterMissing</c> for a share sent to a missing one).
    /// </summary>
    public IReadOnlyDictionary<string, int> Distribute(Call call, int calls, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(calls);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(calls, MaxCalls);
        var random = new Random(seed);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < calls; i++)
        {
            var destination = Simulate(call, random).Destination;
            counts[destination] = counts.GetValueOrDefault(destination) + 1;
        }

        return counts;
    }

    private (Listener? Listener, Listener? Accepting, (string Address, int Port) Destination) SelectListener(Call call, out (SimulationFailure Failure, string Error)? failure)
    {
        failure = null;
        var original = (call.Address, call.Port);
        if (call.Mode == CallMode.Direct)
        {
            var bound = ListenerAt(call.Address, call.Port, boundOnly: true, except: null, out var ambiguity);
            if (bound is null)
            {
                failure = ambiguity is null
                    ? (SimulationFailure.NoListener, $"no listener is bound to {call.Address}:{call.Port}")
                    : (SimulationFailure.InvalidConfig, ambiguity);
            }

            return (bound, bound, original);
        }

        // iptables REDIRECT: the connection arrives on the redirect port, the original destination
        // kept aside for SO_ORIGINAL_DST. Locally sent traffic lands on 127.0.0.1, traffic from
        // elsewhere on the address it was sent to.
        var port = call.Mode == CallMode.Outbound ? OutboundRedirectPort : InboundRedirectPort;
        var redirected = call.Mode == CallMode.Outbound ? "127.0.0.1" : call.Address;
        var accepting = ListenerAt(redirected, port, boundOnly: true, except: null, out var acceptAmbiguity);
        if (accepting is null)
        {
            failure = acceptAmbiguity is null
                ? (SimulationFailure.NoListener, $"no listener is bound to port {port}, where iptables redirects {call.Mode.ToString().ToLowerInvariant()} traffic")
                : (SimulationFailure.InvalidConfig, acceptAmbiguity);
            return (null, null, original);
        }

        if (accepting.UseOriginalDst == true)
        {
            // Listener.use_original_dst: hand off to the listener associated with the original
            // destination; when there is none, the accepting listener keeps the connection.
            var target = ListenerAt(call.Address, call.Port, boundOnly: false, except: accepting, out var ambiguity);
            if (ambiguity is not null)
            {
                failure = (SimulationFailure.InvalidConfig, ambiguity);
                return (null, null, original);
            }

            return (target ?? accepting, accepting, original);
        }

        // Without the hand-off, the filter chains see the original destination only if the
        // original destination listener filter restores it.
        var restores = accepting.ListenerFilters.Any(f => Is(f, OriginalDstName, OriginalDst.Descriptor));
        return (accepting, accepting, restores ? original : (redirected, port));
    }

    /// <summary>The listener on exactly <paramref name="address"/>:<paramref name="port"/>, else the one on the wildcard address and that port.</summary>
    private Listener? ListenerAt(string address, int port, bool boundOnly, Listener? except, out string? ambiguity)
    {
        ambiguity = null;
        var candidates = Config.Listeners
            .Where(l => l != except && l.Address?.SocketAddress is { } socket && socket.PortValue == port && (!boundOnly || (l.BindToPort ?? true)))
            .ToList();
        foreach (var wanted in new[] { address, "0.0.0.0", "::" })
        {
            var found = candidates.Where(l => l.Address.SocketAddress.Address == wanted).ToList();
            if (found.Count > 1)
            {
                ambiguity = $"listeners {string.Join(", ", found.Select(l => l.Name))} are all on {wanted}:{port}; Envoy rejects all but one";
                return null;
            }

            if (found.Count == 1)
            {
                return found[0];
            }
        }

        return null;
    }

    /// <summary>
    /// Why the TLS handshake of <paramref name="call"/> with a chain terminating <paramref name="socket"/>
    /// fails, or null: a required client certificate missing, or naming an identity none of the
    /// context's subjectAltName matchers accept (certificate chains themselves are not modelled).
    /// </summary>
    private static string? Handshake(Envoy.Config.Core.V3.TransportSocket socket, Call call)
    {
        if (socket.TypedConfig is null || !socket.TypedConfig.Is(Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext.Descriptor))
        {
            return $"transport socket {socket.Name} is not a DownstreamTlsContext";
        }

        var context = socket.TypedConfig.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext>();
        if (context.RequireClientCertificate == true && call.ClientIdentity is null)
        {
            return "it requires a client certificate, and the call presents none";
        }

        var validation = context.CommonTlsContext?.CombinedValidationContext?.DefaultValidationContext ?? context.CommonTlsContext?.ValidationContext;
        var matchers = validation?.MatchSubjectAltNames;
        if (call.ClientIdentity is { } identity && matchers is { Count: > 0 } && !matchers.Any(m => RouteMatcher.StringMatches(m, identity)))
        {
            return $"the client identity {identity} matches none of its subjectAltName matchers";
        }

        return null;
    }

    /// <summary>What the listener filters of <paramref name="listener"/> learn of the connection.</summary>
    private static Connection Inspect(Listener listener, Call call, (string Address, int Port) destination)
    {
        var tls = call.Protocol == CallProtocol.Tls && HasFilter(listener, TlsInspectorName, TlsInspector.Descriptor, destination.Port);
        IReadOnlyList<string> alpn = [];
        if (tls)
        {
            alpn = call.Alpn;
        }
        else if (call.IsHttp && HasFilter(listener, HttpInspectorName, HttpInspector.Descriptor, destination.Port))
        {
            alpn = [call.Protocol == CallProtocol.Http2 ? "h2c" : "http/1.1"];
        }

        return new Connection(
            destination.Address,
            destination.Port,
            tls ? call.Sni : null,
            tls ? "tls" : "raw_buffer",
            alpn,
            call.SourceAddress,
            call.SourcePort);
    }

    private Result Http(Result result, Listener listener, FilterChain chain, HttpConnectionManager manager, (string Address, int Port) destination, Random? random)
    {
        if (RbacEvaluator.Denies(manager.HttpFilters.Select(f => (f.Name, (Google.Protobuf.WellKnownTypes.Any?)f.TypedConfig)), result.Call, destination.Port, http: true) is { } denied)
        {
            return Fail(result, SimulationFailure.Denied, $"filter chain '{chain.Name}' of listener {listener.Name}: {denied}");
        }

        RouteConfiguration? routes;
        switch (manager.RouteSpecifierCase)
        {
            case HttpConnectionManager.RouteSpecifierOneofCase.Rds:
                var name = manager.Rds.RouteConfigName;
                result = result with { RouteConfiguration = name };
                if (!Config.Routes.TryGetValue(name, out routes))
                {
                    return Fail(result, SimulationFailure.RouteConfigurationMissing, $"filter chain '{chain.Name}' of listener {listener.Name} asks RDS for RouteConfiguration '{name}', which the proxy does not hold");
                }

                break;
            case HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig:
                routes = manager.RouteConfig;
                result = result with { RouteConfiguration = routes.Name };
                break;
            default:
                return Fail(result, SimulationFailure.Unsupported, $"filter chain '{chain.Name}' of listener {listener.Name} gets its routes neither by RDS nor inline");
        }

        if (VirtualHostMatcher.Validate(routes) is { } invalid)
        {
            return Fail(result, SimulationFailure.InvalidConfig, invalid);
        }

        var authority = result.Call.EffectiveAuthority;
        if (manager.StripTrailingHostDot)
        {
            var host = HostHeader.StripPort(authority);
            authority = host.EndsWith('.') ? host[..^1] + authority[host.Length..] : authority;
        }

        if (manager.StripAnyHostPort)
        {
            authority = HostHeader.StripPort(authority);
        }

        var virtualHost = VirtualHostMatcher.Match(routes, authority);
        if (virtualHost is null)
        {
            return Fail(result, SimulationFailure.NoVirtualHost, $"no virtual host of RouteConfiguration '{routes.Name}' answers to '{authority}'");
        }

        result = result with { VirtualHost = virtualHost.Name };
        var request = new Request(result.Call, authority);
        if (virtualHost.RequireTls == VirtualHost.Types.TlsRequirementType.All)
        {
            return result with { Redirect = new RedirectResult(301, $"https://{HostHeader.StripPort(authority)}{request.FullPath}") };
        }

        var route = RouteMatcher.Match(virtualHost, request, out var unsupported);
        if (unsupported is not null)
        {
            return Fail(result, SimulationFailure.Unsupported, unsupported);
        }

        if (route is null)
        {
            return Fail(result, SimulationFailure.NoRoute, $"no route of virtual host '{virtualHost.Name}' in RouteConfiguration '{routes.Name}' matches {request.Header(":method")} {request.FullPath}");
        }

        result = result with { Route = route.Name, MatchedRoute = route };
        var owner = $"route '{route.Name}' of virtual host '{virtualHost.Name}' in RouteConfiguration '{routes.Name}'";
        switch (route.ActionCase)
        {
            case Route.ActionOneofCase.DirectResponse:
                return result with { DirectResponseStatus = (int)route.DirectResponse.Status };
            case Route.ActionOneofCase.Redirect:
                return result with { Redirect = Redirect(route, request, authority) };
            case Route.ActionOneofCase.Route_:
                var action = route.Route_;
                switch (action.ClusterSpecifierCase)
                {
                    case RouteAction.ClusterSpecifierOneofCase.Cluster:
                        return Forward(result, action.Cluster, owner, destination);
                    case RouteAction.ClusterSpecifierOneofCase.WeightedClusters:
                        if (action.WeightedClusters.Clusters.Any(c => c.ClusterHeader.Length > 0))
                        {
                            return Fail(result, SimulationFailure.Unsupported, $"{owner} splits to a cluster named by a header");
                        }

                        return Split(result, action.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight ?? 0)).ToList(), owner, destination, random);
                    case RouteAction.ClusterSpecifierOneofCase.ClusterHeader:
                        var named = request.Header(action.ClusterHeader);
                        return named is null
                            ? Fail(result, SimulationFailure.ClusterMissing, $"{owner} takes its cluster from header '{action.ClusterHeader}', which the request lacks")
                            : Forward(result, named, owner, destination);
                    default:
                        return Fail(result, SimulationFailure.Unsupported, $"{owner} picks its cluster by {action.ClusterSpecifierCase}");
                }

            default:
                return Fail(result, SimulationFailure.Unsupported, $"{owner} has action {route.ActionCase}");
        }
    }

    private Result Forward(Result result, string cluster, string owner, (string Address, int Port) destination)
    {
        result = result with { Cluster = cluster };
        if (!Config.Clusters.TryGetValue(cluster, out var found))
        {
            return Fail(result, SimulationFailure.ClusterMissing, $"{owner} sends to cluster '{cluster}', which the proxy does not have");
        }

        var (endpoints, problem) = Endpoints(found, destination);
        return problem is null ? result with { Endpoints = endpoints } : Fail(result, problem.Value.Failure, problem.Value.Error);
    }

    private Result Split(Result result, IReadOnlyList<(string Name, uint Weight)> clusters, string owner, (string Address, int Port) destination, Random? random)
    {
        var targets = clusters.Select(c =>
        {
            var exists = Config.Clusters.TryGetValue(c.Name, out var cluster);
            return new WeightedTarget(c.Name, c.Weight, exists, exists ? Endpoints(cluster!, destination).Endpoints : []);
        }).ToList();
        result = result with { WeightedClusters = targets };
        var total = targets.Sum(t => (long)t.Weight);
        if (total == 0)
        {
            return Fail(result, SimulationFailure.InvalidConfig, $"the weights of {owner} add up to 0");
        }

        if (random is null)
        {
            var missing = targets.Where(t => !t.Exists).Select(t => $"'{t.Cluster}'").ToList();
            return missing.Count == 0
                ? result
                : Fail(result, SimulationFailure.ClusterMissing, $"{owner} splits to {string.Join(", ", missing)}, which the proxy does not have");
        }

        // Envoy: a random value modulo the total weight, then the first cluster whose running sum exceeds it.
        var value = random.NextInt64(total);
        var end = 0L;
        foreach (var target in targets)
        {
            end += target.Weight;
            if (value < end)
            {
                return Forward(result, target.Cluster, owner, destination);
            }
        }

        throw new InvalidOperationException("unreachable: the drawn value is below the total weight");
    }

    private (IReadOnlyList<string> Endpoints, (SimulationFailure Failure, string Error)? Problem) Endpoints(Cluster cluster, (string Address, int Port) destination)
    {
        if (cluster.ClusterDiscoveryTypeCase == Cluster.ClusterDiscoveryTypeOneofCase.ClusterType)
        {
            return ([], (SimulationFailure.Unsupported, $"cluster '{cluster.Name}' is of custom type {cluster.ClusterType.Name}"));
        }

        switch (cluster.Type)
        {
            case Cluster.Types.DiscoveryType.OriginalDst:
                return ([Format(destination.Address, destination.Port)], null);
            case Cluster.Types.DiscoveryType.Eds:
                var name = cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } service ? service : cluster.Name;
                return Config.Assignments.TryGetValue(name, out var assignment)
                    ? (List(assignment), null)
                    : ([], (SimulationFailure.EndpointsMissing, $"EDS cluster '{cluster.Name}' has no ClusterLoadAssignment '{name}' on the proxy, so Envoy keeps it warming"));
            default:
                return (cluster.LoadAssignment is null ? [] : List(cluster.LoadAssignment), null);
        }

        static List<string> List(Envoy.Config.Endpoint.V3.ClusterLoadAssignment assignment) =>
            assignment.Endpoints
                .SelectMany(l => l.LbEndpoints)
                .Select(e => e.Endpoint?.Address?.SocketAddress)
                .Where(s => s is not null)
                .Select(s => Format(s!.Address, (int)s.PortValue))
                .ToList();
    }

    private static RedirectResult Redirect(Route route, Request request, string authority)
    {
        var redirect = route.Redirect;
        var scheme = redirect.HttpsRedirect ? "https" : redirect.SchemeRedirect is { Length: > 0 } s ? s : "http";
        var host = redirect.HostRedirect is { Length: > 0 } h ? h : authority;
        if (redirect.PortRedirect != 0)
        {
            host = HostHeader.StripPort(host) + ":" + redirect.PortRedirect.ToString(CultureInfo.InvariantCulture);
        }
        else if (scheme != "http")
        {
            host = HostHeader.StripPort(host);
        }

        var query = request.FullPath.Length > request.PathOnly.Length ? request.FullPath[request.PathOnly.Length..] : string.Empty;
        var path = redirect.PathRewriteSpecifierCase switch
        {
            RedirectAction.PathRewriteSpecifierOneofCase.PathRedirect => redirect.PathRedirect.Contains('?', StringComparison.Ordinal) ? redirect.PathRedirect : redirect.PathRedirect + query,
            RedirectAction.PathRewriteSpecifierOneofCase.PrefixRewrite when route.Match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix =>
                redirect.PrefixRewrite + request.FullPath[route.Match.Prefix.Length..],
            _ => request.FullPath,
        };
        if (redirect.StripQuery)
        {
            var question = path.IndexOf('?', StringComparison.Ordinal);
            path = question < 0 ? path : path[..question];
        }

        var status = redirect.ResponseCode switch
        {
            RedirectAction.Types.RedirectResponseCode.Found => 302,
            RedirectAction.Types.RedirectResponseCode.SeeOther => 303,
            RedirectAction.Types.RedirectResponseCode.TemporaryRedirect => 307,
            RedirectAction.Types.RedirectResponseCode.PermanentRedirect => 308,
            _ => 301,
        };
        return new RedirectResult(status, $"{scheme}://{host}{path}");
    }

    private static bool HasFilter(Listener listener, string name, MessageDescriptor type, int destinationPort) =>
        listener.ListenerFilters.Any(f => Is(f, name, type) && !Disabled(f.FilterDisabled, destinationPort));

    /// <summary>ListenerFilter.filter_disabled: the filter is skipped for connections the predicate matches.</summary>
    private static bool Disabled(ListenerFilterChainMatchPredicate? predicate, int port) => predicate?.RuleCase switch
    {
        null or ListenerFilterChainMatchPredicate.RuleOneofCase.None => false,
        ListenerFilterChainMatchPredicate.RuleOneofCase.AnyMatch => predicate.AnyMatch,
        ListenerFilterChainMatchPredicate.RuleOneofCase.NotMatch => !Disabled(predicate.NotMatch, port),
        ListenerFilterChainMatchPredicate.RuleOneofCase.OrMatch => predicate.OrMatch.Rules.Any(r => Disabled(r, port)),
        ListenerFilterChainMatchPredicate.RuleOneofCase.AndMatch => predicate.AndMatch.Rules.All(r => Disabled(r, port)),
        ListenerFilterChainMatchPredicate.RuleOneofCase.DestinationPortRange =>
            port >= predicate.DestinationPortRange.Start && port < predicate.DestinationPortRange.End,
        _ => false,
    };

    /// <summary>Envoy finds a filter's factory by its typed config's type first, then by its name.</summary>
    private static bool Is(ListenerFilter filter, string name, MessageDescriptor type) =>
        filter.TypedConfig is { } config ? config.Is(type) || (config.TypeUrl.Length == 0 && filter.Name == name) : filter.Name == name;

    private static bool Is(Filter? filter, string name, MessageDescriptor type) =>
        filter is not null && (filter.TypedConfig is { } config ? config.Is(type) : filter.Name == name);

    private static string Format(string address, int port) =>
        address.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");

    private static Result Fail(Result result, SimulationFailure failure, string error) =>
        result with { Failure = failure, Error = error };
}
