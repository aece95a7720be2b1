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

var app = MeshHost.Build(MeshHost.CreateBuilder(values));
await app.StartAsync();
var endpoints = app.Services.GetRequiredService<MeshEndpoints>();
if (endpoints.Xds is not null)
{
    Console.WriteLine($"Mesh.Orleans xDS (ADS) listening on {endpoints.XdsEndpoint}");
}

Console.WriteLine($"Mesh.Orleans debug endpoints on http://{endpoints.DebugEndpoint}/debug/syncz and /debug/config");
await app.WaitForShutdownAsync();
return 0;
