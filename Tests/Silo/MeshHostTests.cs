using System.Globalization;
using Mesh.Orleans.Silo;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.Orleans.Tests.Silo;

public sealed class MeshHostTests
{
    [Fact]
    public async Task FailedBackgroundServices_AfterOneFailed_NamesItAndTheHostStopped()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-host-").FullName;
        try
        {
            var builder = MeshHost.CreateBuilder(new Dictionary<string, string?>
            {
                ["Mesh:Source:Directory"] = directory,
                ["Mesh:XdsPort"] = "0",
                ["Mesh:XdsTlsPort"] = "0",
                ["Mesh:DebugPort"] = "0",
                ["Mesh:SiloPort"] = TestPorts.Free().ToString(CultureInfo.InvariantCulture),
                ["Mesh:GatewayPort"] = TestPorts.Free().ToString(CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "None",
            });
            builder.Services.AddHostedService<FailingBackgroundService>();
            await using var app = MeshHost.Build(builder);
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            await app.StartAsync();

            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(20));
            await app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            var failed = MeshHost.FailedBackgroundServices(app.Services);

            var (name, error) = Assert.Single(failed);
            Assert.Equal(nameof(FailingBackgroundService), name);
            Assert.Equal("the test service broke", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void CreateBuilder_WithABadSetting_ThrowsMeshStartupExceptionNamingTheFlag()
    {
        var exception = Assert.Throws<MeshStartupException>(() => MeshHost.CreateBuilder(new Dictionary<string, string?> { ["Mesh:Source:DebounceMax"] = "soon" }));

        Assert.StartsWith("--Mesh:Source:DebounceMax soon: ", exception.Message, StringComparison.Ordinal);
    }
}
