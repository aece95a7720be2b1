using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A stand-in for a control plane's debug port: a minimal ASP.NET Core app on 127.0.0.1 and a
/// free port that answers every GET with what the test's function returns for it (status,
/// body), and records the paths and queries asked.
/// </summary>
public sealed class FakeDebugServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeDebugServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The server's base URL, <c>http://127.0.0.1:PORT</c>.</summary>
    public string Url { get; }

    /// <summary>Each request's path and query, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Starts a server answering with <paramref name="answer"/> (given the request's path and query).</summary>
    public static async Task<FakeDebugServer> StartAsync(Func<HttpRequest, (int Status, string Body)> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeDebugServer? server = null;
        app.Run(async context =>
        {
            server!.Requests.Enqueue(context.Request.Path + context.Request.QueryString);
            var (status, body) = answer(context.Request);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new FakeDebugServer(app, address.TrimEnd('/'));
        return server;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
