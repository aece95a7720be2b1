using Mesh.Orleans.Silo;

var (values, help, error) = MeshCommandLine.Parse(args);
if (help || error is not null)
{
    if (error is not null)
    {
        Console.Error.WriteLine("error: " + error);
    }

    Console.Error.WriteLine(MeshCommandLine.Usage);
    return help ? 0 : 2;
}

// A setting that keeps the process from starting ends it with one line naming the flag and
// its value and exit code 1 (2 is a bad command line), never with an unhandled exception.
WebApplication app;
try
{
    app = MeshHost.Build(MeshHost.CreateBuilder(values));
}
catch (MeshStartupException exception)
{
    Console.Error.WriteLine("error: " + exception.Message);
    return 1;
}

try
{
    await app.StartAsync();
}
catch (Exception exception)
{
    // What the pre-flight checks could not foresee (a port taken in between, a failing silo).
    Console.Error.WriteLine("error: " + StartupCheck.DescribeStartFailure(exception, app.Configuration));
    using var abandon = new CancellationTokenSource(TimeSpan.FromSeconds(5));
    try
    {
        await app.StopAsync(abandon.Token);
    }
    catch (Exception)
    {
        // Best effort: the process is ending with the error above.
    }

    return 1;
}

var endpoints = app.Services.GetRequiredService<MeshEndpoints>();
if (endpoints.Xds is not null)
{
    Console.WriteLine($"Mesh.Orleans xDS (ADS) listening on {endpoints.XdsEndpoint}");
}

if (endpoints.XdsTls is not null)
{
    Console.WriteLine($"Mesh.Orleans xDS over TLS (ADS, SDS, CA) on {endpoints.XdsTlsEndpoint}");
}

Console.WriteLine($"Mesh.Orleans debug endpoints on http://{endpoints.DebugEndpoint}/debug/syncz and /debug/config");
await app.WaitForShutdownAsync();

// A background service whose failure stopped the host must not look like a clean stop, or a
// supervisor would not restart the process.
var failed = MeshHost.FailedBackgroundServices(app.Services);
foreach (var (name, failure) in failed)
{
    Console.Error.WriteLine($"error: {name} failed: {failure.Message}");
}

return failed.Count > 0 ? 1 : 0;
