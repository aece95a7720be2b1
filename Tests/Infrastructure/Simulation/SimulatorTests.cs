using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.HttpInspector.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// The simulator against hand-built Envoy messages, each case written from Envoy's documented
/// matching rules (Listener <c>use_original_dst</c> and <c>bind_to_port</c>, "Filter chain match",
/// VirtualHost <c>domains</c>, RouteMatch and HeaderMatcher), not from what the mesh serves.
/// </summary>
public sealed class SimulatorTests
{
    private const string Upstream = "127.9.0.9";

    // ---- Listener selection -------------------------------------------------------------

    [Fact]
    public void UseOriginalDst_HandsOffToTheListenerOfTheExactAddress_BeforeTheWildcardOne()
    {
        var simulator = new Simulator(new ProxyConfig(
            listeners: [VirtualOutbound(), TcpListener("127.96.0.1_3306", "127.96.0.1", 3306, "exact"), TcpListener("0.0.0.0_3306", "0.0.0.0", 3306, "wildcard")],
            clusters: [StaticCluster("exact"), StaticCluster("wildcard"), OriginalDstCluster("PassthroughCluster")]));

        var exact = simulator.Simulate(Call.Tcp("127.96.0.1", 3306)).ShouldReach("exact");
        var other = simulator.Simulate(Call.Tcp("127.96.0.2", 3306)).ShouldReach("wildcard");

        Assert.Equal("127.96.0.1_3306", exact.Listener);
        Assert.Equal("virtualOutbound", exact.HandedOffFrom);
        Assert.Equal("0.0.0.0_3306", other.Listener);
    }

    [Fact]
    public void UseOriginalDst_WithNoListenerForTheDestination_TheAcceptingListenerKeepsTheConnection()
    {
        var simulator = new Simulator(new ProxyConfig(
            listeners: [VirtualOutbound(), TcpListener("0.0.0.0_3306", "0.0.0.0", 3306, "mysql")],
            clusters: [StaticCluster("mysql"), OriginalDstCluster("PassthroughCluster")]));

        var result = simulator.Simulate(Call.Tcp("127.55.0.1", 8443)).ShouldReach("PassthroughCluster");

        Assert.Equal("virtualOutbound", result.Listener);
        Assert.Null(result.HandedOffFrom);
        Assert.Equal("catchall", result.FilterChain);
        Assert.Equal(["127.55.0.1:8443"], result.Endpoints);
    }

    [Fact]
    public void AListenerThatDoesNotBind_IsReachedOnlyByHandOff()
    {
        var unbound = TcpListener("0.0.0.0_9080", "0.0.0.0", 9080, "app");
        var config = new ProxyConfig(listeners: [VirtualOutbound(), unbound], clusters: [StaticCluster("app"), OriginalDstCluster("PassthroughCluster")]);
        var simulator = new Simulator(config);

        simulator.Simulate(Call.Tcp(Upstream, 9080)).ShouldReach("app");
        var direct = simulator.Simulate(Call.Tcp(Upstream, 9080).Direct()).ShouldFail(SimulationFailure.NoListener);

        Assert.Contains("9080", direct.Error);

        // The same listener, bound, takes the connection sent straight to it.
        unbound.BindToPort = true;
        new Simulator(new ProxyConfig(listeners: [unbound], clusters: [StaticCluster("app")])).Simulate(Call.Tcp(Upstream, 9080).Direct()).ShouldReach("app");
    }

    [Fact]
    public void NoListenerOnTheRedirectPort_IsNoListener()
    {
        var simulator = new Simulator(new ProxyConfig(listeners: [TcpListener("0.0.0.0_3306", "0.0.0.0", 3306, "mysql")], clusters: [StaticCluster("mysql")]));

        var outbound = simulator.Simulate(Call.Tcp(Upstream, 3306)).ShouldFail(SimulationFailure.NoListener);
        var inbound = simulator.Simulate(Call.Tcp(Upstream, 3306).Inbound()).ShouldFail(SimulationFailure.NoListener);

        Assert.Contains("15001", outbound.Error);
        Assert.Contains("15006", inbound.Error);
    }

    [Fact]
    public void WithoutTheOriginalDstFilter_AnInboundListenerSeesTheRedirectPort_NotTheOriginalOne()
    {
        Listener Inbound(bool restore)
        {
            var listener = new Listener { Name = "virtualInbound", Address = SocketAddress("0.0.0.0", 15006) };
            if (restore)
            {
                listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst", TypedConfig = Any.Pack(new OriginalDst()) });
            }

            listener.FilterChains.Add(TcpChain("port-9080", "inbound|9080||", new FilterChainMatch { DestinationPort = 9080 }));
            listener.FilterChains.Add(TcpChain("redirect-port", "redirect", new FilterChainMatch { DestinationPort = 15006 }));
            return listener;
        }

        var call = Call.Tcp("127.1.0.1", 9080).Inbound();
        new Simulator(new ProxyConfig(listeners: [Inbound(restore: true)], clusters: [StaticCluster("inbound|9080||"), StaticCluster("redirect")])).Simulate(call).ShouldReach("inbound|9080||");
        new Simulator(new ProxyConfig(listeners: [Inbound(restore: false)], clusters: [StaticCluster("inbound|9080||"), StaticCluster("redirect")])).Simulate(call).ShouldReach("redirect");
    }

    // ---- Filter chain match -------------------------------------------------------------

    [Fact]
    public void FilterChain_ADestinationPortChainWins_AndOtherPortsFallToTheCatchAllChain()
    {
        var simulator = new Simulator(new ProxyConfig(listeners: [InboundListener()], clusters: [StaticCluster("inbound|9080||"), OriginalDstCluster("InboundPassthroughCluster")]));

        var declared = simulator.Simulate(Call.Tcp("127.1.0.1", 9080).Inbound()).ShouldReach("inbound|9080||");
        var undeclared = simulator.Simulate(Call.Tcp("127.1.0.1", 7777).Inbound()).ShouldReach("InboundPassthroughCluster");

        Assert.Equal("port-9080", declared.FilterChain);
        Assert.Equal("catchall", undeclared.FilterChain);
        Assert.Equal(["127.1.0.1:7777"], undeclared.Endpoints);
    }

    [Fact]
    public void FilterChain_TheLongestDestinationPrefixWins()
    {
        var listener = new Listener { Name = "inbound", Address = SocketAddress("0.0.0.0", 15006) };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst", TypedConfig = Any.Pack(new OriginalDst()) });
        listener.FilterChains.Add(TcpChain("wide", "wide", Prefixes(("127.0.0.0", 8))));
        listener.FilterChains.Add(TcpChain("narrow", "narrow", Prefixes(("127.1.0.0", 16), ("10.0.0.0", 8))));
        listener.FilterChains.Add(TcpChain("any", "any"));
        var simulator = new Simulator(new ProxyConfig(listeners: [listener], clusters: [StaticCluster("wide"), StaticCluster("narrow"), StaticCluster("any")]));

        simulator.Simulate(Call.Tcp("127.1.0.1", 80).Inbound()).ShouldReach("narrow");
        simulator.Simulate(Call.Tcp("127.2.0.1", 80).Inbound()).ShouldReach("wide");
        simulator.Simulate(new Call { Address = "::1", Port = 80, Protocol = CallProtocol.Tcp, Mode = CallMode.Inbound }).ShouldReach("any");
    }

    [Fact]
    public void FilterChain_OnceAPortChainMatched_ALaterMismatchFallsToTheDefaultChain_NotBackToThePortlessChain()
    {
        // Envoy matches criterion by criterion and never goes back: port 443 picks the chain that
        // names it, whose transport protocol then fails for plaintext; the portless chain that
        // would have taken the connection is not considered again.
        var listener = new Listener { Name = "l", Address = SocketAddress("0.0.0.0", 15006), DefaultFilterChain = TcpChain(string.Empty, "default") };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst", TypedConfig = Any.Pack(new OriginalDst()) });
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.tls_inspector", TypedConfig = Any.Pack(new TlsInspector()) });
        listener.FilterChains.Add(TcpChain("tls-443", "tls", new FilterChainMatch { DestinationPort = 443, TransportProtocol = "tls" }));
        listener.FilterChains.Add(TcpChain("portless", "portless"));
        var clusters = new[] { StaticCluster("tls"), StaticCluster("portless"), StaticCluster("default") };
        var simulator = new Simulator(new ProxyConfig(listeners: [listener], clusters: clusters));

        simulator.Simulate(Call.Tls("a.example.com", Upstream, 443).Inbound()).ShouldReach("tls");
        var plaintext = simulator.Simulate(Call.Tcp(Upstream, 443).Inbound()).ShouldReach("default");
        simulator.Simulate(Call.Tcp(Upstream, 80).Inbound()).ShouldReach("portless");

        Assert.Equal("(default)", plaintext.FilterChain);

        listener.DefaultFilterChain = null;
        new Simulator(new ProxyConfig(listeners: [listener], clusters: clusters)).Simulate(Call.Tcp(Upstream, 443).Inbound()).ShouldFail(SimulationFailure.NoFilterChain);
    }

    [Fact]
    public void FilterChain_ServerNames_ExactBeforeTheLongestWildcard_AndOnlyWithTheTlsInspector()
    {
        Listener Gateway(bool inspector)
        {
            var listener = new Listener { Name = "gateway_443", Address = SocketAddress("0.0.0.0", 443) };
            if (inspector)
            {
                listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.tls_inspector", TypedConfig = Any.Pack(new TlsInspector()) });
            }

            listener.FilterChains.Add(TcpChain("exact", "exact", ServerNames("www.example.com")));
            listener.FilterChains.Add(TcpChain("sub", "sub", ServerNames("*.example.com")));
            listener.FilterChains.Add(TcpChain("com", "com", ServerNames("*.com")));
            listener.FilterChains.Add(TcpChain("none", "none"));
            return listener;
        }

        var clusters = new[] { StaticCluster("exact"), StaticCluster("sub"), StaticCluster("com"), StaticCluster("none") };
        var simulator = new Simulator(new ProxyConfig(listeners: [Gateway(inspector: true)], clusters: clusters));

        simulator.Simulate(Call.Tls("www.example.com", Upstream, 443).Direct()).ShouldReach("exact");
        simulator.Simulate(Call.Tls("api.example.com", Upstream, 443).Direct()).ShouldReach("sub");
        simulator.Simulate(Call.Tls("example.com", Upstream, 443).Direct()).ShouldReach("com");
        simulator.Simulate(Call.Tls("example.org", Upstream, 443).Direct()).ShouldReach("none");

        // No TLS inspector, no SNI: only the chain without server names can match.
        new Simulator(new ProxyConfig(listeners: [Gateway(inspector: false)], clusters: clusters))
            .Simulate(Call.Tls("www.example.com", Upstream, 443).Direct()).ShouldReach("none");
    }

    [Fact]
    public void FilterChain_ApplicationProtocols_AreSetByTheHttpInspector_ForPlaintextHttpOnly()
    {
        Listener Sniffing(bool inspector)
        {
            var listener = new Listener { Name = "l", Address = SocketAddress("0.0.0.0", 8080) };
            if (inspector)
            {
                listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.http_inspector", TypedConfig = Any.Pack(new HttpInspector()) });
            }

            var http = TcpChain("http", "http", new FilterChainMatch());
            http.FilterChainMatch.ApplicationProtocols.Add("http/1.1");
            var h2c = TcpChain("h2c", "h2c", new FilterChainMatch());
            h2c.FilterChainMatch.ApplicationProtocols.Add("h2c");
            listener.FilterChains.Add(http);
            listener.FilterChains.Add(h2c);
            listener.FilterChains.Add(TcpChain("tcp", "tcp"));
            return listener;
        }

        var clusters = new[] { StaticCluster("http"), StaticCluster("h2c"), StaticCluster("tcp") };
        var simulator = new Simulator(new ProxyConfig(listeners: [Sniffing(inspector: true)], clusters: clusters));
        var http1 = Call.Http("app", Upstream, 8080).Direct();

        simulator.Simulate(http1).ShouldReach("http");
        simulator.Simulate(http1.OverHttp2()).ShouldReach("h2c");
        simulator.Simulate(Call.Tcp(Upstream, 8080).Direct()).ShouldReach("tcp");
        new Simulator(new ProxyConfig(listeners: [Sniffing(inspector: false)], clusters: clusters)).Simulate(http1).ShouldReach("tcp");
    }

    [Fact]
    public void FilterChain_TwoChainsMatchingAlike_AreAListenerEnvoyRejects()
    {
        var listener = new Listener { Name = "dup", Address = SocketAddress("0.0.0.0", 15006) };
        listener.FilterChains.Add(TcpChain("a", "a", new FilterChainMatch { DestinationPort = 15006 }));
        listener.FilterChains.Add(TcpChain("b", "b", new FilterChainMatch { DestinationPort = 15006 }));

        var result = new Simulator(new ProxyConfig(listeners: [listener], clusters: [StaticCluster("a"), StaticCluster("b")]))
            .Simulate(Call.Tcp(Upstream, 80).Inbound()).ShouldFail(SimulationFailure.InvalidConfig);

        Assert.Contains("'a', 'b'", result.Error);
    }

    [Theory]
    [InlineData("overlapping server names")]
    [InlineData("one prefix written two ways")]
    public void FilterChain_TwoChainsSharingAnyCombination_AreAListenerEnvoyRejects_WhateverTheCall(string kind)
    {
        var listener = new Listener { Name = "overlap", Address = SocketAddress("0.0.0.0", 443) };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.tls_inspector", TypedConfig = Any.Pack(new TlsInspector()) });
        if (kind == "overlapping server names")
        {
            listener.FilterChains.Add(TcpChain("a", "a", ServerNames("a.example.com", "b.example.com")));
            listener.FilterChains.Add(TcpChain("b", "b", ServerNames("c.example.com", "B.example.com")));
        }
        else
        {
            listener.FilterChains.Add(TcpChain("a", "a", Prefixes(("10.0.0.0", 8))));
            listener.FilterChains.Add(TcpChain("b", "b", Prefixes(("192.168.0.0", 16), ("10.1.2.3", 8))));
        }

        var simulator = new Simulator(new ProxyConfig(listeners: [listener], clusters: [StaticCluster("a"), StaticCluster("b")]));

        var result = simulator.Simulate(Call.Tls("c.example.com", "192.168.0.1", 443).Direct()).ShouldFail(SimulationFailure.InvalidConfig);
        Assert.Contains("'a', 'b' with overlapping matching rules", result.Error);
        listener.FilterChains.RemoveAt(0);
        simulator.Simulate(Call.Tls("c.example.com", "192.168.0.1", 443).Direct()).ShouldReach("b");
    }

    // ---- Virtual host selection ---------------------------------------------------------

    [Fact]
    public void VirtualHost_ExactThenLongestSuffixWildcardThenPrefixWildcardThenStar()
    {
        var routes = Routes(
            "80",
            Host("star", ["*"], ToCluster("r", "star")),
            Host("prefix", ["api.*"], ToCluster("r", "prefix")),
            Host("short-suffix", ["*.com"], ToCluster("r", "short-suffix")),
            Host("long-suffix", ["*.example.com"], ToCluster("r", "long-suffix")),
            Host("exact", ["api.example.com"], ToCluster("r", "exact")));
        var simulator = HttpProxy(routes, "star", "prefix", "short-suffix", "long-suffix", "exact");

        Assert.Equal("exact", simulator.Simulate(Call.Http("API.example.com", Upstream, 80)).VirtualHost);
        Assert.Equal("long-suffix", simulator.Simulate(Call.Http("www.example.com", Upstream, 80)).VirtualHost);
        Assert.Equal("short-suffix", simulator.Simulate(Call.Http("example.com", Upstream, 80)).VirtualHost);
        Assert.Equal("prefix", simulator.Simulate(Call.Http("api.internal", Upstream, 80)).VirtualHost);
        Assert.Equal("star", simulator.Simulate(Call.Http("localhost", Upstream, 80)).VirtualHost);

        // A wildcard stands for at least one character.
        Assert.Equal("star", simulator.Simulate(Call.Http(".com", Upstream, 80)).VirtualHost);
        Assert.Equal("star", simulator.Simulate(Call.Http("api.", Upstream, 80)).VirtualHost);
    }

    [Fact]
    public void VirtualHost_ThePortIsPartOfTheHost_UnlessStrippedOrIgnored()
    {
        var routes = Routes("80", Host("reviews", ["reviews"], ToCluster("r", "reviews")));
        var call = Call.Http("reviews:9080", Upstream, 80);

        HttpProxy(routes, "reviews").Simulate(call).ShouldFail(SimulationFailure.NoVirtualHost);
        HttpProxy(routes, stripAnyHostPort: true, "reviews").Simulate(call).ShouldReach("reviews");

        routes.IgnorePortInHostMatching = true;
        HttpProxy(routes, "reviews").Simulate(call).ShouldReach("reviews");
    }

    [Fact]
    public void VirtualHost_ADomainOnTwoVirtualHosts_IsARouteConfigurationEnvoyRejects()
    {
        var routes = Routes("80", Host("a", ["reviews", "a"], ToCluster("r", "a")), Host("b", ["b", "Reviews"], ToCluster("r", "b")));

        var result = HttpProxy(routes, "a", "b").Simulate(Call.Http("b", Upstream, 80)).ShouldFail(SimulationFailure.InvalidConfig);

        Assert.Contains("'a' and 'b'", result.Error);
    }

    [Fact]
    public void AnRdsNameTheProxyDoesNotHold_IsReportedAsMissing()
    {
        var config = new ProxyConfig(listeners: [VirtualOutbound(), HttpListener(80, "80")], clusters: [OriginalDstCluster("PassthroughCluster")]);

        var result = new Simulator(config).Simulate(Call.Http("a", Upstream, 80)).ShouldFail(SimulationFailure.RouteConfigurationMissing);

        Assert.Equal("80", result.RouteConfiguration);
    }

    [Fact]
    public void TcpBytesIntoAnHttpConnectionManager_AreAProtocolMismatch()
    {
        var simulator = HttpProxy(Routes("80", Host("a", ["*"], ToCluster("r", "a"))), "a");

        simulator.Simulate(Call.Tcp(Upstream, 80)).ShouldFail(SimulationFailure.ProtocolMismatch);
        simulator.Simulate(Call.Tls("a", Upstream, 80)).ShouldFail(SimulationFailure.ProtocolMismatch);
    }

    // ---- Route match --------------------------------------------------------------------

    [Fact]
    public void Route_TheFirstMatchWins_EvenWhenALaterOneIsMoreSpecific()
    {
        var routes = Routes("80", Host("h", ["*"], ToCluster("catch-all", "wide", new RouteMatch { Prefix = "/" }), ToCluster("exact", "narrow", new RouteMatch { Path = "/reviews/1" })));

        var result = HttpProxy(routes, "wide", "narrow").Simulate(Call.Http("h", Upstream, 80, "/reviews/1")).ShouldReach("wide");

        Assert.Equal("catch-all", result.Route);
    }

    [Theory]
    [InlineData("prefix", "/api", "/api/v1", true)]
    [InlineData("prefix", "/api", "/apiv1", true)]
    [InlineData("prefix", "/api", "/API/v1", false)]
    [InlineData("prefix-ci", "/api", "/API/v1", true)]
    [InlineData("path", "/api", "/api?x=1", true)]
    [InlineData("path", "/api", "/api/", false)]
    [InlineData("path-ci", "/api", "/Api", true)]
    [InlineData("regex", "/reviews/[0-9]+", "/reviews/12?page=2", true)]
    [InlineData("regex", "/reviews/[0-9]+", "/reviews/12/x", false)]
    [InlineData("separated", "/api", "/api", true)]
    [InlineData("separated", "/api", "/api/v1", true)]
    [InlineData("separated", "/api", "/api?x=1", true)]
    [InlineData("separated", "/api", "/apiv1", false)]
    public void Route_PathSpecifiers_MatchAsEnvoyDocumentsThem(string kind, string pattern, string path, bool matches)
    {
        var match = kind switch
        {
            "prefix" => new RouteMatch { Prefix = pattern },
            "prefix-ci" => new RouteMatch { Prefix = pattern, CaseSensitive = false },
            "path" => new RouteMatch { Path = pattern },
            "path-ci" => new RouteMatch { Path = pattern, CaseSensitive = false },
            "regex" => new RouteMatch { SafeRegex = new RegexMatcher { Regex = pattern } },
            _ => new RouteMatch { PathSeparatedPrefix = pattern },
        };
        var simulator = HttpProxy(Routes("80", Host("h", ["*"], ToCluster("r", "c", match))), "c");

        var result = simulator.Simulate(Call.Http("h", Upstream, 80, path));

        Assert.Equal(matches ? "c" : "error NoRoute", result.Destination);
    }

    [Fact]
    public void Route_AnInvertedHeaderMatch_DoesNotMatchAMissingHeader_UnlessItIsTreatedAsEmpty()
    {
        HeaderMatcher NotJason(bool missingAsEmpty) => new()
        {
            Name = "end-user",
            StringMatch = new StringMatcher { Exact = "jason" },
            InvertMatch = true,
            TreatMissingHeaderAsEmpty = missingAsEmpty,
        };

        Simulator Proxy(bool missingAsEmpty)
        {
            var match = new RouteMatch { Prefix = "/" };
            match.Headers.Add(NotJason(missingAsEmpty));
            return HttpProxy(Routes("80", Host("h", ["*"], ToCluster("not-jason", "v1", match), ToCluster("rest", "v2"))), "v1", "v2");
        }

        var call = Call.Http("h", Upstream, 80);

        Proxy(false).Simulate(call.WithHeader("end-user", "mike")).ShouldReach("v1");
        Proxy(false).Simulate(call.WithHeader("End-User", "jason")).ShouldReach("v2");
        Proxy(false).Simulate(call).ShouldReach("v2");
        Proxy(true).Simulate(call).ShouldReach("v1");
    }

    [Theory]
    [InlineData("exact", "jason", "jason", true)]
    [InlineData("exact", "jason", "Jason", false)]
    [InlineData("exact-ci", "jason", "Jason", true)]
    [InlineData("prefix", "ja", "jason", true)]
    [InlineData("suffix", "son", "jason", true)]
    [InlineData("contains", "aso", "jason", true)]
    [InlineData("contains", "xyz", "jason", false)]
    [InlineData("regex", "j.*n", "jason", true)]
    [InlineData("regex", "j.*s", "jason", false)]
    [InlineData("present", "", "anything", true)]
    [InlineData("present", "", null, false)]
    [InlineData("absent", "", null, true)]
    [InlineData("range", "", "5", true)]
    [InlineData("range", "", "10", false)]
    [InlineData("range", "", "5x", false)]
    public void Route_HeaderMatchers_MatchAsEnvoyDocumentsThem(string kind, string value, string? header, bool matches)
    {
        var matcher = new HeaderMatcher { Name = "x-user" };
        switch (kind)
        {
            case "exact": matcher.StringMatch = new StringMatcher { Exact = value }; break;
            case "exact-ci": matcher.StringMatch = new StringMatcher { Exact = value, IgnoreCase = true }; break;
            case "prefix": matcher.StringMatch = new StringMatcher { Prefix = value }; break;
            case "suffix": matcher.StringMatch = new StringMatcher { Suffix = value }; break;
            case "contains": matcher.StringMatch = new StringMatcher { Contains = value }; break;
            case "regex": matcher.StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = value } }; break;
            case "present": matcher.PresentMatch = true; break;
            case "absent": matcher.PresentMatch = false; break;
            default: matcher.RangeMatch = new Envoy.Type.V3.Int64Range { Start = 0, End = 10 }; break;
        }

        var match = new RouteMatch { Prefix = "/" };
        match.Headers.Add(matcher);
        var simulator = HttpProxy(Routes("80", Host("h", ["*"], ToCluster("r", "c", match))), "c");
        var call = Call.Http("h", Upstream, 80);

        var result = simulator.Simulate(header is null ? call : call.WithHeader("x-user", header));

        Assert.Equal(matches ? "c" : "error NoRoute", result.Destination);
    }

    [Fact]
    public void Route_QueryParameters_AndHeadersMustAllMatch()
    {
        var match = new RouteMatch { Prefix = "/" };
        match.QueryParameters.Add(new QueryParameterMatcher { Name = "debug", StringMatch = new StringMatcher { Exact = "on off" } });
        match.QueryParameters.Add(new QueryParameterMatcher { Name = "trace", PresentMatch = true });
        match.Headers.Add(new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { Exact = "POST" } });
        var simulator = HttpProxy(Routes("80", Host("h", ["*"], ToCluster("q", "debug", match), ToCluster("rest", "normal"))), "debug", "normal");
        var call = Call.Http("h", Upstream, 80, "/page").WithMethod("POST");

        simulator.Simulate(call.WithQuery("debug", "on off").WithQuery("trace", string.Empty)).ShouldReach("debug");
        simulator.Simulate(call.WithQuery("debug", "on off")).ShouldReach("normal");
        simulator.Simulate(call.WithQuery("debug", "on").WithQuery("trace", "1")).ShouldReach("normal");
        simulator.Simulate(call.WithMethod("GET").WithQuery("debug", "on off").WithQuery("trace", "1")).ShouldReach("normal");
    }

    [Fact]
    public void Route_NamingAClusterTheProxyDoesNotHave_IsReported_AsIsAMissingShareOfASplit()
    {
        var split = new WeightedCluster();
        split.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = "v1", Weight = 50 });
        split.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = "v3", Weight = 50 });
        var routes = Routes(
            "80",
            Host("h", ["*"], ToCluster("gone", "v2", new RouteMatch { Prefix = "/gone" }), new Route { Name = "split", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { WeightedClusters = split } }));
        var simulator = HttpProxy(routes, "v1");

        var single = simulator.Simulate(Call.Http("h", Upstream, 80, "/gone")).ShouldFail(SimulationFailure.ClusterMissing);
        var weighted = simulator.Simulate(Call.Http("h", Upstream, 80)).ShouldFail(SimulationFailure.ClusterMissing);
        var counts = simulator.Distribute(Call.Http("h", Upstream, 80), 1000, seed: 7);

        Assert.Equal("v2", single.Cluster);
        Assert.Contains("'v2'", single.Error);
        Assert.Equal([("v1", true), ("v3", false)], weighted.WeightedClusters.Select(t => (t.Cluster, t.Exists)));
        Assert.Equal(["error ClusterMissing", "v1"], counts.Keys);
        Assert.Equal(1000, counts.Values.Sum());
    }

    [Fact]
    public void WeightedClusters_LandInProportionToTheirWeights_Reproducibly()
    {
        var split = new WeightedCluster();
        split.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = "v1", Weight = 80 });
        split.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = "v2", Weight = 20 });
        split.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = "v3", Weight = 0 });
        var routes = Routes("80", Host("h", ["*"], new Route { Name = "split", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { WeightedClusters = split } }));
        var simulator = HttpProxy(routes, "v1", "v2", "v3");
        var call = Call.Http("h", Upstream, 80);

        var counts = simulator.Distribute(call, 10_000, seed: 42);

        Assert.Equal(counts, simulator.Distribute(call, 10_000, seed: 42));
        Assert.Equal(["v1", "v2"], counts.Keys);
        Assert.InRange(counts["v1"], 7_800, 8_200);
        Assert.Equal([80u, 20u, 0u], simulator.Simulate(call).WeightedClusters.Select(t => t.Weight));
        Assert.Equal(["127.0.0.1:80"], simulator.Simulate(call, new Random(1)).Endpoints);
    }

    [Fact]
    public void DirectResponsesAndRedirects_AreAnsweredByTheProxy()
    {
        var redirect = new Route
        {
            Name = "moved",
            Match = new RouteMatch { Prefix = "/old/" },
            Redirect = new RedirectAction { HostRedirect = "new.example.com", PrefixRewrite = "/new/", ResponseCode = RedirectAction.Types.RedirectResponseCode.PermanentRedirect },
        };
        var blocked = new Route { Name = "block_all", Match = new RouteMatch { Prefix = "/" }, DirectResponse = new DirectResponseAction { Status = 502 } };
        var simulator = HttpProxy(Routes("80", Host("h", ["*"], redirect, blocked)));

        var moved = simulator.Simulate(Call.Http("old.example.com", Upstream, 80, "/old/page?x=1"));
        var direct = simulator.Simulate(Call.Http("other", Upstream, 80));

        Assert.Equal(new RedirectResult(308, "http://new.example.com/new/page?x=1"), moved.Redirect);
        Assert.Equal("direct_response 502", direct.Destination);
        Assert.Null(direct.Cluster);
    }

    // ---- Clusters and endpoints ---------------------------------------------------------

    [Fact]
    public void Endpoints_ComeFromTheClaOfAnEdsCluster_AndItsAbsenceIsReported()
    {
        var eds = new Cluster { Name = "outbound|9080||reviews", Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = "reviews-eds" } };
        var assignment = new ClusterLoadAssignment { ClusterName = "reviews-eds" };
        var locality = new LocalityLbEndpoints();
        locality.LbEndpoints.Add(Endpoint("127.1.0.3", 9080));
        locality.LbEndpoints.Add(Endpoint("127.1.0.4", 9080));
        assignment.Endpoints.Add(locality);
        var routes = Routes("80", Host("h", ["*"], ToCluster("r", eds.Name)));
        var listeners = new[] { VirtualOutbound(), HttpListener(80, "80") };

        var found = new Simulator(new ProxyConfig(listeners, [routes], [eds], [assignment])).Simulate(Call.Http("h", Upstream, 80)).ShouldReach(eds.Name);
        var warming = new Simulator(new ProxyConfig(listeners, [routes], [eds])).Simulate(Call.Http("h", Upstream, 80)).ShouldFail(SimulationFailure.EndpointsMissing);

        Assert.Equal(["127.1.0.3:9080", "127.1.0.4:9080"], found.Endpoints);
        Assert.Contains("reviews-eds", warming.Error);
    }

    [Fact]
    public void ProxyConfig_FromResponses_LaterResourcesReplaceEarlier_AndDuplicatesAreErrors()
    {
        DiscoveryResponse Clusters(params Cluster[] clusters)
        {
            var response = new DiscoveryResponse { TypeUrl = TypeUrls.Cluster, VersionInfo = "v" };
            response.Resources.AddRange(clusters.Select(Any.Pack));
            return response;
        }

        var config = ProxyConfig.FromResponses([Clusters(StaticCluster("a"), StaticCluster("b")), Clusters(new Cluster { Name = "a", Type = Cluster.Types.DiscoveryType.OriginalDst })]);
        var duplicate = Assert.Throws<ArgumentException>(() => ProxyConfig.FromResponses([Clusters(StaticCluster("a"), StaticCluster("a"))]));
        var twoListeners = Assert.Throws<ArgumentException>(() => new ProxyConfig(listeners: [VirtualOutbound(), VirtualOutbound()]));

        Assert.Equal(Cluster.Types.DiscoveryType.OriginalDst, config.Clusters["a"].Type);
        Assert.Contains("b", config.Clusters.Keys);
        Assert.Contains("holds a twice", duplicate.Message);
        Assert.Contains("'virtualOutbound'", twoListeners.Message);
    }

    // ---- Builders -------------------------------------------------------------------------

    private static Simulator HttpProxy(RouteConfiguration routes, params string[] clusters) => HttpProxy(routes, false, clusters);

    private static Simulator HttpProxy(RouteConfiguration routes, bool stripAnyHostPort, params string[] clusters) =>
        new(new ProxyConfig(
            listeners: [VirtualOutbound(), HttpListener(80, routes.Name, stripAnyHostPort)],
            routes: [routes],
            clusters: clusters.Select(StaticCluster).Append(OriginalDstCluster("PassthroughCluster"))));

    private static Listener VirtualOutbound()
    {
        var listener = new Listener { Name = "virtualOutbound", Address = SocketAddress("0.0.0.0", 15001), UseOriginalDst = true };
        listener.FilterChains.Add(TcpChain("catchall", "PassthroughCluster"));
        return listener;
    }

    private static Listener InboundListener()
    {
        var listener = new Listener { Name = "virtualInbound", Address = SocketAddress("0.0.0.0", 15006) };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst", TypedConfig = Any.Pack(new OriginalDst()) });
        listener.FilterChains.Add(TcpChain("port-9080", "inbound|9080||", new FilterChainMatch { DestinationPort = 9080 }));
        listener.FilterChains.Add(TcpChain("catchall", "InboundPassthroughCluster", Prefixes(("0.0.0.0", 0))));
        return listener;
    }

    private static Listener TcpListener(string name, string address, int port, string cluster)
    {
        var listener = new Listener { Name = name, Address = SocketAddress(address, port), BindToPort = false };
        listener.FilterChains.Add(TcpChain(cluster, cluster));
        return listener;
    }

    private static Listener HttpListener(int port, string routeName, bool stripAnyHostPort = false)
    {
        var manager = new HttpConnectionManager { StatPrefix = "http", Rds = new Rds { RouteConfigName = routeName }, StripAnyHostPort = stripAnyHostPort };
        var chain = new FilterChain { Name = $"0.0.0.0_{port}" };
        chain.Filters.Add(new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) });
        var listener = new Listener { Name = $"0.0.0.0_{port}", Address = SocketAddress("0.0.0.0", port), BindToPort = false };
        listener.FilterChains.Add(chain);
        return listener;
    }

    private static FilterChain TcpChain(string name, string cluster, FilterChainMatch? match = null)
    {
        var chain = new FilterChain { Name = name, FilterChainMatch = match };
        chain.Filters.Add(new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = cluster, Cluster = cluster }) });
        return chain;
    }

    private static FilterChainMatch Prefixes(params (string Address, uint Length)[] ranges)
    {
        var match = new FilterChainMatch();
        match.PrefixRanges.AddRange(ranges.Select(r => new CidrRange { AddressPrefix = r.Address, PrefixLen = r.Length }));
        return match;
    }

    private static FilterChainMatch ServerNames(params string[] names)
    {
        var match = new FilterChainMatch();
        match.ServerNames.AddRange(names);
        return match;
    }

    private static RouteConfiguration Routes(string name, params VirtualHost[] hosts)
    {
        var routes = new RouteConfiguration { Name = name };
        routes.VirtualHosts.AddRange(hosts);
        return routes;
    }

    private static VirtualHost Host(string name, string[] domains, params Route[] routes)
    {
        var host = new VirtualHost { Name = name };
        host.Domains.AddRange(domains);
        host.Routes.AddRange(routes);
        return host;
    }

    private static Route ToCluster(string name, string cluster, RouteMatch? match = null) =>
        new() { Name = name, Match = match ?? new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } };

    private static Cluster StaticCluster(string name)
    {
        var assignment = new ClusterLoadAssignment { ClusterName = name };
        var locality = new LocalityLbEndpoints();
        locality.LbEndpoints.Add(Endpoint("127.0.0.1", 80));
        assignment.Endpoints.Add(locality);
        return new Cluster { Name = name, Type = Cluster.Types.DiscoveryType.Static, LoadAssignment = assignment };
    }

    private static Cluster OriginalDstCluster(string name) =>
        new() { Name = name, Type = Cluster.Types.DiscoveryType.OriginalDst, LbPolicy = Cluster.Types.LbPolicy.ClusterProvided };

    private static LbEndpoint Endpoint(string address, int port) =>
        new() { Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = SocketAddress(address, port) } };

    private static Address SocketAddress(string address, int port) =>
        new() { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = address, PortValue = (uint)port } };
}
