using System.Net;
using System.Net.Sockets;
using Mesh.Orleans.Silo;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Mesh.Orleans.Tests.Silo;

public sealed class StartupCheckTests
{
    [Fact]
    public void FindProblem_FreePortsAndAnExistingDirectory_IsNull()
    {
        Assert.Null(StartupCheck.FindProblem(Configuration()));
    }

    [Fact]
    public void FindProblem_XdsPortInUse_NamesTheFlagPortAndAddress()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var problem = StartupCheck.FindProblem(Configuration(("Mesh:XdsPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        Assert.Equal($"--xds-port {port}: address 127.0.0.1:{port} is already in use", problem);
    }

    [Fact]
    public void FindProblem_TwoSettingsNamingOnePort_ReportsTheSecond()
    {
        var port = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var problem = StartupCheck.FindProblem(Configuration(("Mesh:XdsPort", port), ("Mesh:DebugPort", port)));

        Assert.Equal($"--debug-port {port}: address 127.0.0.1:{port} is already in use", problem);
    }

    [Fact]
    public void FindProblem_FrontendRole_DoesNotCheckTheGatewayPortItConnectsTo()
    {
        using var gateway = new TcpListener(IPAddress.Loopback, 0);
        gateway.Start();
        var port = ((IPEndPoint)gateway.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Null(StartupCheck.FindProblem(Configuration(("Mesh:Role", "frontend"), ("Mesh:GatewayPort", port), ("Mesh:Source:Directory", "/no/such/dir"))));
    }

    [Theory]
    [InlineData("Mesh:Source:Directory", "/no/such/dir", "--config /no/such/dir: the directory does not exist")]
    [InlineData("Mesh:Source:DebounceQuiet", "abc", "--Mesh:Source:DebounceQuiet abc: not a time span (hh:mm:ss[.fff], e.g. 00:00:00.200)")]
    [InlineData("Mesh:XdsAddress", "localhost:1", "--xds-address localhost:1: not an IP address")]
    [InlineData("Mesh:Role", "7", "--role 7: not one of all, silo, frontend")]
    [InlineData("Mesh:Frontend:MaxNameLength", "x", "--Mesh:Frontend:MaxNameLength x: not a whole number")]
    [InlineData("Mesh:Frontend:MaxNameLength", "0", "--Mesh:Frontend:MaxNameLength 0: The field MaxNameLength must be between 1 and 2147483647.")]
    [InlineData("Mesh:Proxy:IdleTimeout", "00:00:00", "--Mesh:Proxy:IdleTimeout 00:00:00: The field IdleTimeout must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("Mesh:Scoping:RootNamespace", "Istio_System", "--Mesh:Scoping:RootNamespace Istio_System: must be a namespace name (a lowercase DNS label)")]
    [InlineData("Mesh:Scoping:DefaultServiceExportTo", ".", "--Mesh:Scoping:DefaultServiceExportTo .: a list; give its entries as --Mesh:Scoping:DefaultServiceExportTo:0, --Mesh:Scoping:DefaultServiceExportTo:1, ...")]
    [InlineData("Mesh:Scoping:DefaultVirtualServiceExportTo:0", "Bad_NS", "--Mesh:Scoping:DefaultVirtualServiceExportTo Bad_NS: entry 0 'Bad_NS' is not '.', '*', '~' or a namespace name")]
    public void FindProblem_BadSetting_NamesTheFlagAndTheValue(string key, string value, string expected)
    {
        Assert.Equal(expected, StartupCheck.FindProblem(Configuration((key, value))));
    }

    [Fact]
    public void FindProblem_ScopingListsGivenAsIndexedKeys_AreAccepted()
    {
        Assert.Null(StartupCheck.FindProblem(Configuration(
            ("Mesh:Scoping:DefaultServiceExportTo:0", "."), ("Mesh:Scoping:DefaultServiceExportTo:1", "shared"), ("Mesh:Scoping:DefaultDestinationRuleExportTo:0", "*"))));
    }

    [Fact]
    public void DescribeStartFailure_RedisNotAnswering_NamesTheFlagAndTheSocketsReason()
    {
        var refused = new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.UnableToConnect, StackExchange.Redis.CommandFlags.None, "UnableToConnect on 127.0.0.1:1 (a long diagnostic)", new System.Net.Sockets.SocketException(111));
        var wrapped = new InvalidOperationException("Silo start failed", new AggregateException(refused));

        var line = StartupCheck.DescribeStartFailure(wrapped, Configuration(("Mesh:Redis", "127.0.0.1:1")));

        Assert.Equal($"--redis 127.0.0.1:1: Redis did not answer ({new System.Net.Sockets.SocketException(111).Message}); start it first, or let the supervisor restart this process until it does", line);
    }

    [Fact]
    public void DescribeStartFailure_AnythingElse_IsEveryMessageOfTheChain()
    {
        var failure = new InvalidOperationException("Silo start failed", new AggregateException(new IOException("port taken")));

        Assert.Equal("could not start: Silo start failed: port taken", StartupCheck.DescribeStartFailure(failure, Configuration()));
    }

    [Fact]
    public void FindProblem_ATokenFile_IsReadAtStart_AndALineThatDoesNotParseIsNamedWithoutItsToken()
    {
        using var folder = new TempDirectory();
        var good = folder.Write("tokens", "shop-web-token-0123456789 shop web\n");
        var bad = folder.Write("bad-tokens", "# header\nshop-web-token-0123456789 shop\n");

        Assert.Null(StartupCheck.FindProblem(Configuration(("Mesh:Security:TokenFile", good))));
        Assert.Equal($"--token-file {bad}: line 2: expected TOKEN NAMESPACE SERVICEACCOUNT, found 2 field(s)", StartupCheck.FindProblem(Configuration(("Mesh:Security:TokenFile", bad))));
        Assert.Equal($"--token-file {good}.gone: no such file", StartupCheck.FindProblem(Configuration(("Mesh:Security:TokenFile", good + ".gone"))));
    }

    [Fact]
    public void FindProblem_APlugInCa_IsCheckedAtStart_WholeAndAbleToSign()
    {
        using var folder = new TempDirectory();
        using var root = Mesh.Orleans.Grains.Security.MeshCertificateAuthority.CreateSelfSigned("cluster.local");
        using var rootKey = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(root.Root)!;
        folder.Write("ca-cert.pem", root.Root.ExportCertificatePem());
        folder.Write("ca-key.pem", rootKey.ExportPkcs8PrivateKeyPem());
        using var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        folder.Write("other-key.pem", otherKey.ExportPkcs8PrivateKeyPem());
        var cert = Path.Combine(folder.Path, "ca-cert.pem");
        var key = Path.Combine(folder.Path, "ca-key.pem");
        var other = Path.Combine(folder.Path, "other-key.pem");

        Assert.Null(StartupCheck.FindProblem(Configuration(("Mesh:Security:CaCertFile", cert), ("Mesh:Security:CaKeyFile", key))));
        Assert.Equal($"--ca-cert {cert}: given without --ca-key", StartupCheck.FindProblem(Configuration(("Mesh:Security:CaCertFile", cert))));
        Assert.Equal($"--ca-key {key}: given without --ca-cert", StartupCheck.FindProblem(Configuration(("Mesh:Security:CaKeyFile", key))));
        Assert.Equal($"--ca-key {key}.gone: no such file", StartupCheck.FindProblem(Configuration(("Mesh:Security:CaCertFile", cert), ("Mesh:Security:CaKeyFile", key + ".gone"))));
        var mismatch = StartupCheck.FindProblem(Configuration(("Mesh:Security:CaCertFile", cert), ("Mesh:Security:CaKeyFile", other)));
        Assert.StartsWith($"--ca-cert {cert}: the CA certificate and key do not load together", mismatch, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", mismatch, StringComparison.Ordinal);
        Assert.StartsWith("--trust-domain Cluster.Local: ", StartupCheck.FindProblem(Configuration(("Mesh:Security:TrustDomain", "Cluster.Local"))), StringComparison.Ordinal);
    }

    [Fact]
    public void FindProblem_AMembershipSettingThatDoesNotConvert_NamesItInOneLine()
    {
        Assert.StartsWith("--Mesh:Membership:ProbeTimeout soon: ", StartupCheck.FindProblem(Configuration(("Mesh:Membership:ProbeTimeout", "soon"))), StringComparison.Ordinal);
        Assert.Null(StartupCheck.FindProblem(Configuration(("Mesh:Membership:ProbeTimeout", "00:00:02"), ("Mesh:Membership:NumMissedProbesLimit", "2"))));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Mesh:Source:Directory"] = AppContext.BaseDirectory,
            ["Mesh:XdsPort"] = "0",
            ["Mesh:XdsTlsPort"] = "0",
            ["Mesh:DebugPort"] = "0",
            ["Mesh:SiloPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mesh:GatewayPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
