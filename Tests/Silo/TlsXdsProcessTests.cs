using System.Security.Cryptography.X509Certificates;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>The TLS xDS port as an operator runs it: the executable with <c>--no-plaintext-xds</c> and <c>--token-file</c>.</summary>
public sealed class TlsXdsProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NoPlaintextXds_ServesOnlyTheTlsPort_ToATokenFromTheTokenFile_VerifiedAgainstTheRootFromTheDebugPort()
    {
        using var folder = new TempDirectory();
        var tokens = folder.Write("tokens", "default-token-0123456789 default test\n");
        await using var silo = await SiloProcess.StartAsync(["--no-plaintext-xds", "--token-file", tokens], expectXds: false);
        output.WriteLine(silo.StandardOutput);

        Assert.DoesNotContain("xDS (ADS) listening", silo.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, silo.XdsTlsPort);

        using var http = new HttpClient();
        using var root = X509Certificate2.CreateFromPem(await http.GetStringAsync($"http://127.0.0.1:{silo.DebugPort}/debug/rootca"));
        using var channel = MeshTlsClient.Channel(silo.XdsTlsPort, root, token: "default-token-0123456789");
        await using var client = AdsTestClient.Connect(channel, "sidecar~10.0.0.9~test-1.default~default.svc.cluster.local");
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30));

        Assert.NotEmpty(clusters.Resources);
    }

    [Fact]
    public async Task NoPrivateKey_AppearsInTheLogsAtDebugOrInAnyDebugEndpoint_AfterTheCaAndSdsHandedOutKeys()
    {
        using var folder = new TempDirectory();
        var tokens = folder.Write("tokens", "default-token-0123456789 default test\n");
        await using var silo = await SiloProcess.StartAsync(["--token-file", tokens, "--Logging:LogLevel:Default", "Debug"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.DebugPort}") };
        using var root = X509Certificate2.CreateFromPem(await http.GetStringAsync("/debug/rootca"));

        // A certificate from the CA API, and a workload key over SDS (made by the frontend for this stream).
        var (issued, _) = await MeshTlsClient.IssueAsync(silo.XdsTlsPort, root, "default-token-0123456789", "spiffe://cluster.local/ns/default/sa/test");
        issued.Dispose();
        using var channel = MeshTlsClient.Channel(silo.XdsTlsPort, root, token: "default-token-0123456789");
        await using var client = AdsTestClient.Connect(channel, "sidecar~10.0.0.9~test-1.default~default.svc.cluster.local");
        await client.SendAsync(TypeUrls.Secret, ["default"]);
        var secret = Assert.Single(AdsTestClient.Unpack<Secret>(await client.ReceiveTypeAsync(TypeUrls.Secret, TimeSpan.FromSeconds(30))));
        var keyBody = secret.TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8().Split('\n')[1];

        var seen = new List<string>();
        foreach (var path in new[] { "/debug/stats", "/debug/rootca", "/debug/syncz", "/debug/scopes", "/debug/scopez", "/debug/config", "/debug/clusterz" })
        {
            seen.Add(await http.GetStringAsync(path));
        }

        silo.Terminate(SiloProcess.SigTerm);
        await silo.WaitForExitAsync(TimeSpan.FromSeconds(30));
        seen.Add(silo.StandardOutput);
        seen.Add(silo.StandardError);

        Assert.Contains(seen, s => s.Contains("Issued the SDS workload certificate", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, s => s.Contains("PRIVATE KEY", StringComparison.Ordinal) || s.Contains(keyBody, StringComparison.Ordinal));
    }
}
