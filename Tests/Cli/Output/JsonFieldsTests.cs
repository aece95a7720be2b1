using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Tests.Cli.Output;

public sealed class JsonFieldsTests
{
    [Fact]
    public void Field_ReadsTheProtoNameOrTheProtojsonName_AndWrongTypesAsAbsent()
    {
        using var snake = JsonDocument.Parse("""{"socket_address": {"port_value": 80}, "route_config_name": "80", "prefix_len": {"value": 24}}""");
        using var camel = JsonDocument.Parse("""{"socketAddress": {"portValue": "80"}, "routeConfigName": 80, "prefixLen": "x"}""");

        Assert.Equal(80, snake.RootElement.Number("socket_address", "port_value"));
        Assert.Equal(80, camel.RootElement.Number("socket_address", "port_value"));
        Assert.Equal("80", snake.RootElement.Text("route_config_name"));
        Assert.Equal("80", camel.RootElement.Text("route_config_name"));
        Assert.Equal(24, snake.RootElement.Number("prefix_len"));
        Assert.Null(camel.RootElement.Number("prefix_len"));
        Assert.Empty(camel.RootElement.Items("socket_address"));
        Assert.Equal(string.Empty, snake.RootElement.Text("socket_address", "port_value", "deeper"));
    }
}
