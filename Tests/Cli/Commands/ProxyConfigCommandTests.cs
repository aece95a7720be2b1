using System.Text.Json;
using Mesh.Orleans.Cli;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Tests.Cli.Commands;

/// <summary>
/// <c>mesh proxy-config</c> against a stand-in debug port serving a recorded config dump (the
/// shape of Envoy's admin ConfigDump, answered as istiod's <c>/debug/config_dump</c> answers).
/// </summary>
public sealed class ProxyConfigCommandTests : IAsyncLifetime
{
    private const string Pod = "reviews-v1-7f99.default";

    private FakeDebugServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeDebugServer.StartAsync(Answer);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>As istiod: 400 without a proxy id, 404 for a proxy not connected here, the dump (with EDS only when asked) for one whose node id contains the id.</summary>
    private static (int Status, string Body) Answer(HttpRequest request)
    {
        if (request.Path != "/debug/config_dump")
        {
            return (404, "404 page not found\n");
        }

        var proxy = request.Query["proxyID"].ToString();
        if (proxy.Length == 0)
        {
            return (400, "You must provide a proxyID in the query string\n");
        }

        return RecordedConfigDump.NodeId.Contains(proxy, StringComparison.Ordinal)
            ? (200, RecordedConfigDump.Json(request.Query.ContainsKey("include_eds")))
            : (404, "Proxy not connected to this Pilot instance. It may be connected to another instance.\n");
    }

    [Fact]
    public async Task Cluster_PrintsIstioctlsTable_HostPortSubsetDirectionFromTheName_SortedAsIstioctlSorts()
    {
        var (code, stdout, stderr) = await CliRun.RunAsync("proxy-config", "cluster", Pod, "--debug", _server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Empty(stderr);
        Assert.Equal(
            [
                "SERVICE FQDN                          PORT     SUBSET     DIRECTION     TYPE             DESTINATION RULE",
                "                                      9080     -          inbound       STATIC           ",
                "BlackHoleCluster                      -        -          -             STATIC           ",
                "PassthroughCluster                    -        -          -             ORIGINAL_DST     ",
                "ratings.default.svc.cluster.local     9080     -          outbound      EDS              ",
                "reviews.default.svc.cluster.local     9080     -          outbound      EDS              reviews.default",
                "reviews.default.svc.cluster.local     9080     v1         outbound      EDS              reviews.default",
            ],
            CliRun.Lines(stdout));
        Assert.Equal([$"/debug/config_dump?proxyID={Uri.EscapeDataString(Pod)}"], _server.Requests);
    }

    [Fact]
    public async Task Listener_PrintsOneRowPerFilterChain_WithMatchAndDestination_AndTheApiListenerOfAProxylessClient()
    {
        var (code, stdout, _) = await CliRun.RunAsync("proxy-config", "listener", Pod, "--debug", _server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            [
                "ADDRESSES                              PORT  MATCH                  DESTINATION",
                "ratings.default.svc.cluster.local:9080 -     ALL                    Route: ratings.default.svc.cluster.local:9080",
                "10.96.0.1                              443   Addr: 10.96.0.1/32:443 Cluster: outbound|443||kubernetes.default.svc.cluster.local",
                "0.0.0.0                                9080  App: HTTP              Route: 9080",
                "0.0.0.0                                9080  ALL                    PassthroughCluster",
                "0.0.0.0                                15001 ALL                    PassthroughCluster",
            ],
            CliRun.Lines(stdout));
    }

    [Fact]
    public async Task Route_PrintsEachRouteOfEachVirtualHost_NumberedConfigsFirst_PassthroughLeftOut()
    {
        var (code, stdout, _) = await CliRun.RunAsync("pc", "routes", Pod, "--debug", _server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            [
                "NAME        VHOST NAME                                 DOMAINS                                  MATCH               VIRTUAL SERVICE",
                "9080        reviews.default.svc.cluster.local:9080     reviews, reviews.default + 1 more...     /*                  reviews.default",
                "backend     backend                                    *                                        /healthz/ready      ",
                "backend     backend                                    *                                        regex ^/stats.*     ",
                "backend     block_all                                  *                                        /*                  404",
            ],
            CliRun.Lines(stdout));
    }

    [Fact]
    public async Task Endpoint_AsksForEndpoints_AndPrintsEachWithItsHealthAndCluster()
    {
        var (code, stdout, _) = await CliRun.RunAsync("proxy-config", "endpoint", RecordedConfigDump.NodeId, "--debug", _server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            [
                "ENDPOINT                         STATUS        OUTLIER CHECK     CLUSTER",
                "10.244.0.12:9080                 HEALTHY       OK                outbound|9080||reviews.default.svc.cluster.local",
                "10.244.0.13:9080                 UNHEALTHY     OK                outbound|9080||reviews.default.svc.cluster.local",
                "10.244.0.20:9080                 HEALTHY       OK                outbound|9080||ratings.default.svc.cluster.local",
                "unix:///var/run/ratings.sock     DRAINING      OK                outbound|9080||ratings.default.svc.cluster.local",
            ],
            CliRun.Lines(stdout));
        Assert.EndsWith("&include_eds=true", Assert.Single(_server.Requests), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonAndYaml_PrintTheResourcesThemselves_WithoutTheAnyType()
    {
        var (jsonCode, json, _) = await CliRun.RunAsync("proxy-config", "cluster", Pod, "--debug", _server.Url, "-o", "json");
        var (yamlCode, yaml, _) = await CliRun.RunAsync("proxy-config", "route", Pod, "--debug", _server.Url, "-o", "yaml");

        Assert.Equal(ExitCodes.Ok, jsonCode);
        using var clusters = JsonDocument.Parse(json);
        Assert.Equal(6, clusters.RootElement.GetArrayLength());
        Assert.All(clusters.RootElement.EnumerateArray(), c => Assert.False(c.TryGetProperty("@type", out _)));
        Assert.Contains(clusters.RootElement.EnumerateArray(), c => c.GetProperty("name").GetString() == "outbound|9080|v1|reviews.default.svc.cluster.local");

        Assert.Equal(ExitCodes.Ok, yamlCode);
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var routes = (YamlSequenceNode)stream.Documents[0].RootNode;
        Assert.Equal(["backend", "9080"], routes.Select(r => ((YamlScalarNode)((YamlMappingNode)r)["name"]).Value));
        Assert.Contains("- name: \"9080\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARealControlPlane_DumpsWhatItSentTheSidecar_AsTheseTablesRead()
    {
        await using var mesh = await MeshServer.StartAsync(new Dictionary<string, string>
        {
            ["greeter.yaml"] = MeshYaml.Service("greeter", 50051) + "\n---\n" + MeshYaml.Slice("greeter-1", "greeter", 50051, [("10.0.0.1", true)]),
        });
        await using var sidecar = AdsTestClient.Connect(mesh.XdsPort, "sidecar~10.0.0.9~test.default~default.svc.cluster.local");
        await sidecar.SendAsync(TypeUrls.Cluster);
        await sidecar.AckAsync(await sidecar.ReceiveTypeAsync(TypeUrls.Cluster));
        const string Greeter = "outbound|50051||greeter.default.svc.cluster.local";
        await sidecar.SendAsync(TypeUrls.ClusterLoadAssignment, [Greeter]);
        await sidecar.AckAsync(await sidecar.ReceiveTypeAsync(TypeUrls.ClusterLoadAssignment), [Greeter]);
        var debug = $"http://127.0.0.1:{mesh.DebugPort}";

        var (clusterCode, clusters, clusterError) = await CliRun.RunAsync("proxy-config", "cluster", "test.default", "--debug", debug);
        var (endpointCode, endpoints, _) = await CliRun.RunAsync("proxy-config", "endpoint", "test.default", "--debug", debug);

        Assert.True(clusterCode == ExitCodes.Ok, clusterError);
        Assert.Contains("greeter.default.svc.cluster.local 50051 - outbound EDS", CliRun.Lines(clusters).Select(Words));
        Assert.Equal(ExitCodes.Ok, endpointCode);
        Assert.Equal(["ENDPOINT STATUS OUTLIER CHECK CLUSTER", $"10.0.0.1:50051 HEALTHY OK {Greeter}"], CliRun.Lines(endpoints).Select(Words));

        static string Words(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ProtojsonFieldNames_AsIstiodsDebugPortPrintsThem_AreReadToo()
    {
        const string Dump = """
            {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "versionInfo": "1",
              "dynamicActiveClusters": [{"versionInfo": "1", "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "outbound|50051||greeter.default.svc.cluster.local", "type": "EDS",
                "metadata": {"filterMetadata": {"istio": {"config": "/apis/networking.istio.io/v1/namespaces/default/destination-rule/greeter"}}}}}]}]}
            """;
        await using var server = await FakeDebugServer.StartAsync(_ => (200, Dump));

        var (code, stdout, _) = await CliRun.RunAsync("proxy-config", "cluster", "greeter", "--debug", server.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            [
                "SERVICE FQDN                          PORT      SUBSET     DIRECTION     TYPE     DESTINATION RULE",
                "greeter.default.svc.cluster.local     50051     -          outbound      EDS      greeter.default",
            ],
            CliRun.Lines(stdout));
    }

    [Fact]
    public async Task AnUnknownProxy_AMissingProxyId_GarbageJson_OrNoControlPlane_IsOneLineAndExitOne()
    {
        await using var badRequest = await FakeDebugServer.StartAsync(_ => (400, "You must provide a proxyID in the query string\n"));
        await using var garbage = await FakeDebugServer.StartAsync(_ => (200, "\u001b[31m<html>not json"));
        await using var notADump = await FakeDebugServer.StartAsync(_ => (200, "[1, 2, 3]"));
        await using var noRoutes = await FakeDebugServer.StartAsync(_ => (200, "{\"configs\": [{\"@type\": \"type.googleapis.com/envoy.admin.v3.RoutesConfigDump\"}]}"));
        var closed = $"http://127.0.0.1:{TestPorts.Free()}";

        var cases = new (string[] Args, string Error)[]
        {
            (["proxy-config", "cluster", "ghost.default", "--debug", _server.Url],
                $"error: {_server.Url}/debug/config_dump?proxyID=ghost.default answered 404 Not Found: Proxy not connected to this Pilot instance. It may be connected to another instance."),
            (["proxy-config", "cluster", "x", "--debug", badRequest.Url],
                $"error: {badRequest.Url}/debug/config_dump?proxyID=x answered 400 Bad Request: You must provide a proxyID in the query string"),
            (["proxy-config", "listener", "x", "--debug", garbage.Url],
                $"error: {garbage.Url}/debug/config_dump?proxyID=x did not answer JSON ("),
            (["proxy-config", "route", "x", "--debug", notADump.Url],
                $"error: {notADump.Url}/debug/config_dump?proxyID=x did not answer an Envoy config dump (a JSON object with a \"configs\" list)"),
            (["proxy-config", "endpoint", "x", "--debug", notADump.Url],
                $"error: {notADump.Url}/debug/config_dump?proxyID=x&include_eds=true did not answer an Envoy config dump"),
            (["proxy-config", "route", "x", "--debug", noRoutes.Url], "error: no routes found for x"),
            (["proxy-config", "cluster", "x", "--debug", noRoutes.Url], $"error: the config dump of x has no clusters ({noRoutes.Url}/debug/config_dump?proxyID=x)"),
            (["proxy-config", "cluster", "x", "--debug", closed], $"error: cannot reach the control plane at {closed}/debug/config_dump?proxyID=x: Connection refused"),
        };
        foreach (var (args, error) in cases)
        {
            var (code, stdout, stderr) = await CliRun.RunAsync(args);

            Assert.Equal(ExitCodes.Failed, code);
            Assert.Empty(stdout);
            var line = Assert.Single(CliRun.Lines(stderr));
            Assert.StartsWith(error, line, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', line);
        }
    }

    [Fact]
    public async Task ANonHttpDebugUrl_OrAMissingProxy_IsAUsageError()
    {
        var (code, stdout, stderr) = await CliRun.RunAsync("proxy-config", "cluster", Pod, "--debug", "file:///etc/passwd");
        var (missingCode, _, missing) = await CliRun.RunAsync("proxy-config", "cluster", "--debug", _server.Url);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Empty(stdout);
        Assert.Equal(["error: --debug must be the http:// or https:// URL of the control plane's debug port (such as http://127.0.0.1:15014), not 'file:///etc/passwd'"], CliRun.Lines(stderr));
        Assert.Equal(ExitCodes.Usage, missingCode);
        Assert.StartsWith("error: Required argument 'PROXY' missing", missing, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }
}
