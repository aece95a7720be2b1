using Mesh.Orleans.Silo;

namespace Mesh.Orleans.Tests.Silo;

public sealed class MeshCommandLineTests
{
    [Fact]
    public void Parse_ProductFlags_MapToConfiguration()
    {
        var (values, help, error) = MeshCommandLine.Parse(["--config", "/tmp/mesh", "--xds-port", "0", "--xds-tls-port", "0", "--debug-port=15099"]);

        Assert.Null(error);
        Assert.False(help);
        Assert.Equal("/tmp/mesh", values["Mesh:Source:Directory"]);
        Assert.Equal("0", values["Mesh:XdsPort"]);
        Assert.Equal("15099", values["Mesh:DebugPort"]);
    }

    [Fact]
    public void Parse_ConfigurationKeys_PassThrough()
    {
        var (values, _, error) = MeshCommandLine.Parse(["--Mesh:Source:DebounceQuiet", "00:00:00.2"]);

        Assert.Null(error);
        Assert.Equal("00:00:00.2", values["Mesh:Source:DebounceQuiet"]);
    }

    [Theory]
    [InlineData("--bogus", "x", "unknown option")]
    [InlineData("--xds-port", "http", "port number")]
    [InlineData("--xds-port", "70000", "port number")]
    [InlineData("--xds-tls-port", "-1", "port number")]
    public void Parse_BadArguments_AreAnError(string flag, string value, string message)
    {
        var (_, _, error) = MeshCommandLine.Parse([flag, value]);

        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecurityFlags_MapToConfiguration_AndNoPlaintextXdsIsASwitch()
    {
        var (values, _, error) = MeshCommandLine.Parse(["--no-plaintext-xds", "--xds-tls-port", "15099", "--token-file", "/etc/mesh/tokens", "--no-plaintext-xds=false"]);

        Assert.Null(error);
        Assert.Equal("15099", values["Mesh:XdsTlsPort"]);
        Assert.Equal("/etc/mesh/tokens", values["Mesh:Security:TokenFile"]);
        Assert.Equal("false", values["Mesh:NoPlaintextXds"]);
        Assert.Equal("true", MeshCommandLine.Parse(["--no-plaintext-xds", "--config", "/tmp/mesh"]).Values["Mesh:NoPlaintextXds"]);
    }

    [Fact]
    public void Parse_FlagWithoutValue_IsAnError()
    {
        Assert.Contains("needs a value", MeshCommandLine.Parse(["--config"]).Error, StringComparison.Ordinal);
    }
}
