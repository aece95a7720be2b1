using Mesh.Orleans.Silo;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// The real control plane, built by <see cref="MeshHost"/> exactly as Program builds it, on
/// 127.0.0.1 with free ports and a temporary config directory that the test writes into.
/// </summary>
public sealed class MeshServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MeshServer(WebApplication app, string configDirectory)
    {
        _app = app;
        ConfigDirectory = configDirectory;
    }

    /// <summary>The watched config directory.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The bound xDS port.</summary>
    public int XdsPort => Services.GetRequiredService<MeshEndpoints>().XdsEndpoint.Port;

    /// <summary>The Orleans gateway port, for stand-alone frontends.</summary>
    public int GatewayPort => Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshHostOptions>>().Value.GatewayPort;

    /// <summary>The bound debug port.</summary>
    /// <summary>The bound TLS xDS port.</summary>
    public int XdsTlsPort => Services.GetRequiredService<MeshEndpoints>().XdsTlsEndpoint.Port;

    public int DebugPort => Services.GetRequiredService<MeshEndpoints>().DebugEndpoint.Port;

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The frontend's resource cache.</summary>
    public ResourceCache Cache => Services.GetRequiredService<ResourceCache>();

    /// <summary>
    /// The frontend's cache of <paramref name="scope"/> (a base scope: where its resources and their
    /// locality variants are held), the one the streams of that scope share; made if none is in use yet.
    /// </summary>
    public ResourceCache ScopeCache(string scope)
    {
        using var lease = Services.GetRequiredService<ScopeCaches>().Acquire(new ScopeKey(scope, null));
        return lease.Cache;
    }

    /// <summary>The frontend's open streams.</summary>
    public StreamRegistry Streams => Services.GetRequiredService<StreamRegistry>();

    /// <summary>
    /// Starts a control plane whose config directory holds <paramref name="files"/> (name to YAML).
    /// </summary>
    public static async Task<MeshServer> StartAsync(IReadOnlyDictionary<string, string>? files = null, IReadOnlyDictionary<string, string?>? settings = null, Microsoft.Extensions.Logging.ILoggerProvider? logs = null)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-config-").FullName;
        foreach (var (name, text) in files ?? new Dictionary<string, string>())
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), text);
        }

        var values = new Dictionary<string, string?>
        {
            ["Mesh:Source:Directory"] = directory,
            ["Mesh:XdsPort"] = "0",
            ["Mesh:XdsTlsPort"] = "0",
            ["Mesh:DebugPort"] = "0",
            ["Mesh:SiloPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mesh:GatewayPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mesh:Source:DebounceQuiet"] = "00:00:00.050",
            ["Mesh:Source:DebounceMax"] = "00:00:01",
            ["Mesh:Frontend:ProxyReportInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Mesh.Orleans.Silo.Sources"] = "Error",
            ["Logging:LogLevel:Polly"] = "Error",
            ["Logging:LogLevel:Orleans"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var builder = MeshHost.CreateBuilder(values);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        var app = MeshHost.Build(builder);
        await app.StartAsync();
        var server = new MeshServer(app, directory);
        await server.Cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>Writes a config file atomically (write then rename), as editors and kubectl-style tools do.</summary>
    public async Task WriteConfigAsync(string name, string yaml)
    {
        var path = Path.Combine(ConfigDirectory, name);
        var temporary = Path.Combine(ConfigDirectory, "." + name + ".tmp");
        await File.WriteAllTextAsync(temporary, yaml);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Deletes a config file.</summary>
    public void DeleteConfig(string name) => File.Delete(Path.Combine(ConfigDirectory, name));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(ConfigDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
