using Mesh.Orleans.Silo;

namespace Mesh.Orleans.Tests.Silo;

public sealed class MeshCommandLineTests
{
    [Fact]
    public void Parse_ProductFlags_MapToConfiguration()
    {
        var (values, help, error) = MeshCommandLine.Parse(["--config", "/tmp/mesh", "--xds-port", "0", "--debug-port=15099"]);

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
    public void Parse_BadArguments_AreAnError(string flag, string value, string message)
    {
        var (_, _, error) = MeshCommandLine.Parse([flag, value]);

        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FlagWithoutValue_IsAnError()
    {
        Assert.Contains("needs a value", MeshCommandLine.Parse(["--config"]).Error, StringComparison.Ordinal);
    }
}
