using System.Net;
using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Silo.Debug;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// The status page on the debug port of a real control plane (two Services and an invalid object,
/// one connected proxy that took CDS and ACKed it), loaded in real headless Chromium: it shows
/// the services, the rejection and the synced proxy, writes nothing to the console, and is served
/// as UTF-8 HTML under a policy that lets only its own inline script and style run.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class StatusPageTests : IAsyncLifetime
{
    private const string Invalid = """
        apiVersion: v1
        kind: Service
        metadata:
          name: broken-port
          namespace: default
        spec:
          ports:
          - port: 0
        """;

    private const string NodeId = "sidecar~127.0.0.253~status.default~default.svc.cluster.local";
    private MeshServer _server = null!;
    private AdsTestClient _proxy = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["a.yaml"] = MeshYaml.Service("status-a", 7100),
            ["b.yaml"] = MeshYaml.Service("status-b", 7101),
            ["bad.yaml"] = Invalid,
        });
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.DebugPort}"), Timeout = TimeSpan.FromSeconds(10) };
        _proxy = AdsTestClient.Connect(_server.XdsPort, NodeId);
        await _proxy.SendAsync(TypeUrls.Cluster);
        var clusters = await _proxy.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));
        await _proxy.AckAsync(clusters);

        // The page reads what the debug endpoints say: wait until they say it.
        await Eventually.TrueAsync(
            async () => (await _http.GetStringAsync(new Uri("/debug/config", UriKind.Relative))).Contains("broken-port", StringComparison.Ordinal)
                && Regex.IsMatch(await _http.GetStringAsync(new Uri("/debug/syncz", UriKind.Relative)), "\"status\":\"ACKED\""),
            TimeSpan.FromSeconds(20),
            "the rejection and the ACK are on the debug endpoints");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _proxy.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ThePage_InChromium_ShowsServicesRejectionAndSyncedProxy_WithoutConsoleErrors()
    {
        var (dom, console) = await Chromium.DumpDomAsync(new Uri($"http://127.0.0.1:{_server.DebugPort}/"), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));

        Assert.Contains("data-loaded=\"true\"", dom, StringComparison.Ordinal);
        Assert.Empty(console);
        Assert.Matches("id=\"services-count\"[^>]*>2<", dom);
        Assert.Contains("default/broken-port", dom, StringComparison.Ordinal);
        Assert.Contains("must be between 1 and 65535", dom, StringComparison.Ordinal);
        Assert.Matches("id=\"proxies-synced\"[^>]*>1<", dom);
        Assert.Contains(NodeId, dom, StringComparison.Ordinal);
        Assert.Contains(">synced<", dom, StringComparison.Ordinal);
        Assert.Contains(">healthy<", dom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePage_IsUtf8Html_UnderAPolicyOfHashesAndItsOwnOrigin()
    {
        foreach (var path in new[] { "/", "/index.html" })
        {
            using var answer = await _http.GetAsync(new Uri(path, UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("text/html; charset=utf-8", answer.Content.Headers.ContentType?.ToString());
            var policy = string.Join(' ', answer.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
            Assert.Matches("script-src 'sha256-[A-Za-z0-9+/=]+';", policy);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("http", policy, StringComparison.Ordinal);
            var html = await answer.Content.ReadAsStringAsync();
            Assert.Equal(policy, StatusPage.ContentSecurityPolicy(html));
            Assert.DoesNotContain("innerHTML", html, StringComparison.Ordinal);
            Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        }
    }
}
