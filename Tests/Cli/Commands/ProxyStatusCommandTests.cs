using System.Text.Json;
using Mesh.Orleans.Cli;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Cli.Commands;

/// <summary><c>mesh proxy-status</c> against a real control plane and against hand-made <c>/debug/syncz</c> pages.</summary>
public sealed class ProxyStatusCommandTests
{
    private const string Sidecar = "sidecar~127.0.0.254~test.default~default.svc.cluster.local";

    [Fact]
    public async Task ProxyStatus_ARealControlPlane_ShowsTheSidecarSyncedAfterItsAck_AndStaleWhereItHasNotAcked()
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["greeter.yaml"] = MeshYaml.Service("greeter", 50051) + "\n---\n" + MeshYaml.Slice("greeter-1", "greeter", 50051, [("10.0.0.1", true)]),
        });
        await using var sidecar = AdsTestClient.Connect(server.XdsPort, Sidecar);
        await sidecar.SendAsync(TypeUrls.Cluster);
        await sidecar.AckAsync(await sidecar.ReceiveTypeAsync(TypeUrls.Cluster));
        await sidecar.SendAsync(TypeUrls.Listener);
        await sidecar.ReceiveTypeAsync(TypeUrls.Listener);
        var debug = $"http://127.0.0.1:{server.DebugPort}";

        string[] lines = [];
        await Eventually.TrueAsync(
            async () =>
            {
                var (code, stdout, _) = await CliRun.RunAsync("proxy-status", "--debug", debug);
                lines = CliRun.Lines(stdout);
                return code == ExitCodes.Ok && lines.Length == 2 && lines[1].Contains("SYNCED", StringComparison.Ordinal) && lines[1].Contains("STALE", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(20),
            "the sidecar's CDS ACK and LDS response in proxy-status");

        var istiod = $"127.0.0.1:{server.DebugPort}";
        var name = Sidecar.Length + 5;
        Assert.Equal(
            [
                $"{"NAME".PadRight(name)}{"CLUSTER".PadRight(15)}{"CDS".PadRight(11)}{"LDS".PadRight(10)}{"EDS".PadRight(12)}{"RDS".PadRight(12)}{"ECDS".PadRight(12)}{"ISTIOD".PadRight(istiod.Length + 5)}VERSION",
                $"{Sidecar.PadRight(name)}{"Kubernetes".PadRight(15)}{"SYNCED".PadRight(11)}{"STALE".PadRight(10)}{"IGNORED".PadRight(12)}{"IGNORED".PadRight(12)}{"IGNORED".PadRight(12)}{istiod}     ",
            ],
            lines);

        var (jsonCode, json, _) = await CliRun.RunAsync("proxy-status", "--debug", debug, "-o", "json");
        Assert.Equal(ExitCodes.Ok, jsonCode);
        using var syncz = JsonDocument.Parse(json);
        Assert.Equal(Sidecar, Assert.Single(syncz.RootElement.EnumerateArray()).GetProperty("nodeId").GetString());
    }

    [Fact]
    public async Task ProxyStatus_DerivesEachStatusAsIstiodDoes_FromTheSynczPage()
    {
        const string Syncz = """
            [
              {"nodeId": "router~10.0.0.2~gw.istio-system~istio-system.svc.cluster.local",
               "node": {"id": "router~10.0.0.2~gw.istio-system~istio-system.svc.cluster.local", "userAgent": "envoy 1.31.2", "identity": {"memberClusterId": "east"}},
               "types": [
                 {"typeUrl": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "sent": "v2", "acked": "v1", "nacked": "v2", "error": "bad cluster", "status": "NACKED", "lastChange": "2026-11-26T10:00:01Z"},
                 {"typeUrl": "type.googleapis.com/envoy.config.listener.v3.Listener", "sent": null, "status": "SENT", "subscribedCount": 1},
                 {"typeUrl": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "sent": "e1", "acked": "e1", "status": "ACKED", "lastChange": "2026-11-26T10:00:00Z"},
                 {"typeUrl": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "sent": "e2", "acked": "e1", "status": "SENT", "lastChange": "2026-11-26T10:00:02Z"},
                 {"typeUrl": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "sent": "r1", "acked": "r1", "status": "ACKED"}
               ]},
              {"nodeId": "a-proxyless-client", "node": {"id": "a-proxyless-client", "userAgent": "gRPC Go 1.68.0"}, "types": []}
            ]
            """;
        await using var server = await FakeDebugServer.StartAsync(request => request.Path == "/debug/syncz" ? (200, Syncz) : (404, "404 page not found"));
        var istiod = new Uri(server.Url).Authority;

        var (code, stdout, stderr) = await CliRun.RunAsync("proxy-status", "--debug", server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Empty(stderr);
        var width = "router~10.0.0.2~gw.istio-system~istio-system.svc.cluster.local".Length + 5;
        Assert.Equal(
            [
                $"{"NAME".PadRight(width)}CLUSTER        CDS         LDS          EDS         RDS         ECDS        {"ISTIOD".PadRight(istiod.Length + 5)}VERSION",
                $"{"a-proxyless-client".PadRight(width)}Kubernetes     IGNORED     IGNORED      IGNORED     IGNORED     IGNORED     {istiod}     1.68.0",
                $"{"router~10.0.0.2~gw.istio-system~istio-system.svc.cluster.local".PadRight(width)}east           ERROR       NOT SENT     STALE       SYNCED      IGNORED     {istiod}     1.31.2",
            ],
            CliRun.Lines(stdout));
    }

    [Fact]
    public async Task ProxyStatus_GarbageJson_OrNoControlPlane_OrANonHttpUrl_IsOneClearLine()
    {
        await using var garbage = await FakeDebugServer.StartAsync(_ => (200, "{\"nodeId\": [tru"));
        await using var notAList = await FakeDebugServer.StartAsync(_ => (200, "{\"proxies\": 3}"));
        var closed = $"http://127.0.0.1:{TestPorts.Free()}";

        var cases = new (string Url, int Code, string Error)[]
        {
            (garbage.Url, ExitCodes.Failed, $"error: {garbage.Url}/debug/syncz did not answer JSON ("),
            (notAList.Url, ExitCodes.Failed, $"error: {notAList.Url}/debug/syncz did not answer a list of proxies"),
            (closed, ExitCodes.Failed, $"error: cannot reach the control plane at {closed}/debug/syncz: Connection refused"),
            ("ftp://127.0.0.1:15014", ExitCodes.Usage, "error: --debug must be the http:// or https:// URL of the control plane's debug port (such as http://127.0.0.1:15014), not 'ftp://127.0.0.1:15014'"),
            ("127.0.0.1:15014", ExitCodes.Usage, "error: --debug must be the http:// or https:// URL of the control plane's debug port (such as http://127.0.0.1:15014), not '127.0.0.1:15014'"),
        };
        foreach (var (url, expectedCode, error) in cases)
        {
            var (code, stdout, stderr) = await CliRun.RunAsync("proxy-status", "--debug", url);

            Assert.Equal(expectedCode, code);
            Assert.Empty(stdout);
            var line = Assert.Single(CliRun.Lines(stderr));
            Assert.StartsWith(error, line, StringComparison.Ordinal);
        }
    }
}
