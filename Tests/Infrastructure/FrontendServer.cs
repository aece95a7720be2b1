using System.Globalization;
using Mesh.Orleans.Silo;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A second, stand-alone xDS frontend, built by <see cref="MeshHost"/> with <c>--role frontend</c>:
/// an Orleans client of a running silo's gateway with its own Kestrel server and its own
/// resource cache, as a scaled-out deployment runs them.
/// </summary>
public sealed class FrontendServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FrontendServer(WebApplication app) => _app = app;

    public int XdsPort => _app.Services.GetRequiredService<MeshEndpoints>().XdsEndpoint.Port;

    public ResourceCache Cache => _app.Services.GetRequiredService<ResourceCache>();

    public static async Task<FrontendServer> StartAsync(int gatewayPort)
    {
        var app = MeshHost.Build(MeshHost.CreateBuilder(new Dictionary<string, string?>
        {
            ["Mesh:Role"] = "frontend",
            ["Mesh:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Mesh:XdsPort"] = "0",
            ["Mesh:XdsTlsPort"] = "0",
            ["Mesh:DebugPort"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
        }));
        await app.StartAsync();
        var server = new FrontendServer(app);
        await server.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
