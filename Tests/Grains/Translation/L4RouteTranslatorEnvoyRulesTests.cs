using Envoy.Config.Listener.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Tests.EndToEnd;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Simulation;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// The listeners that carry VirtualService <c>tcp[]</c> and <c>tls[]</c> routes, as built and as
/// served, checked against the validate rules of Envoy's canonical protos and against Envoy's
/// refusal of overlapping filter chains.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class L4RouteTranslatorEnvoyRulesTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private const string Mongo = "mongodb.db.svc.cluster.local";
    private const string Secure = "secure.db.svc.cluster.local";

    [Fact]
    public async Task BuiltListeners_OfEveryRouteShape_PassEnvoysRules()
    {
        RouteDestinationSpec To(string subset, int weight) => new(Mongo, 27017, weight, subset);
        var shapes = new Dictionary<string, Listener>
        {
            ["split"] = L4RouteTranslatorTests.Tcp([Vs(tcp: [new TcpRouteSpec([], [To("v1", 50), To("v2", 50)])])]),
            ["subnets and default"] = L4RouteTranslatorTests.Tcp([Vs(tcp:
            [
                new TcpRouteSpec([new L4MatchSpec(["10.1.2.3/16", "fd00::1"], null, null, null, null)], [To("v1", 100)]),
                new TcpRouteSpec([new L4MatchSpec(["10.1.0.0/16", "192.168.1.0/24"], null, null, null, null)], [To("v2", 100)]),
            ])]),
            ["sni, passthrough"] = L4RouteTranslatorTests.Tls([Vs(hosts: [Secure], tls:
            [
                new TlsRouteSpec([new TlsMatchSpec(["a.example.com", "*.example.org"], [], null, null, null, null)], [new(Secure, 443, 100, "a")]),
                new TlsRouteSpec([new TlsMatchSpec(["a.example.com", "b.example.com"], ["10.0.0.0/8"], null, null, null, null)], [new(Secure, 443, 30, "a"), new(Secure, 443, 70, "b")]),
            ])]),
            ["sni, blackhole"] = L4RouteTranslatorTests.Tls([Vs(hosts: [Secure], tls: [new TlsRouteSpec([new TlsMatchSpec(["a.example.com"], [], null, null, null, null)], [new(Secure, 443, 100, "a")])])], registryOnly: true),
            ["sni *"] = L4RouteTranslatorTests.Tls([Vs(hosts: [Secure], tls: [new TlsRouteSpec([new TlsMatchSpec(["*"], [], null, null, null, null)], [new(Secure, 443, 100, "a")])])]),
        };

        foreach (var (shape, listener) in shapes)
        {
            Assert.Contains(listener.FilterChains.Append(listener.DefaultFilterChain), c => c?.Name.StartsWith("db/routes ", StringComparison.Ordinal) == true);
            Assert.True((await validation.ValidateAsync(listener)).Count == 0, shape);
            Assert.Null(FilterChainMatcher.Overlap(listener));
        }

        Assert.True(validation.CheckedRules > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServedListeners_WithTcpAndTlsRoutes_PassEnvoysRules(bool registryOnly)
    {
        var sidecar = await SidecarSimulationTests.ProductpageWithAsync(
            SidecarSimulationTests.TcpRoutesYaml + "\n---\n" + SidecarSimulationTests.TlsRoutesYaml, registryOnly);

        var routed = sidecar.Config.Listeners.Where(l => l.Name is "127.96.0.14_27017" or "127.1.1.20_5432" or "127.96.0.30_443").ToList();
        Assert.Equal(3, routed.Count);
        Assert.All(routed, l => Assert.Contains(l.FilterChains, c => c.Name.StartsWith("bookinfo/", StringComparison.Ordinal)));
        foreach (var listener in sidecar.Config.Listeners)
        {
            Assert.Empty(await validation.ValidateAsync(listener));
            Assert.Null(FilterChainMatcher.Overlap(listener));
        }
    }

    private static VirtualServiceSpec Vs(IReadOnlyList<string>? hosts = null, IReadOnlyList<TcpRouteSpec>? tcp = null, IReadOnlyList<TlsRouteSpec>? tls = null) =>
        new("db", "routes", hosts ?? [Mongo], [], null, null, tcp, tls);
}
