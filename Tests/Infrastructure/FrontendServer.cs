using System.Net;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A second, stand-alone xDS frontend: an Orleans client of a running silo's gateway with
/// its own Kestrel server and its own resource cache, as a scaled-out deployment runs them.
/// </summary>
public sealed class FrontendServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FrontendServer(WebApplication app, int port)
    {
        _app = app;
        XdsPort = port;
    }

    public int XdsPort { get; }

    public ResourceCache Cache => _app.Services.GetRequiredService<ResourceCache>();

    public static async Task<FrontendServer> StartAsync(int gatewayPort)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort));
        builder.Services.AddXdsFrontend();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapXdsFrontend();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var server = new FrontendServer(app, new Uri(address).Port);
        await server.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
