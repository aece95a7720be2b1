using System.Security.Cryptography.X509Certificates;
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
}
