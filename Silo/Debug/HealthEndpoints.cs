using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// Probes for a supervisor (Kubernetes' liveness and readiness probes) on the debug port:
/// <c>/healthz</c> answers while the process runs; <c>/ready</c> answers 200 only once the process
/// can do its part: a silo has joined its cluster (membership says it is active), and a frontend's
/// cache holds a first snapshot of the mesh (so a proxy sent to it is served the mesh, not
/// nothing). Otherwise 503 with the reasons, one per line.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Maps <c>/healthz</c> and <c>/ready</c> for this process's role.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints, MeshRole role)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));
        endpoints.MapGet("/ready", (IServiceProvider services) =>
        {
            var waiting = NotReady(services, role);
            return waiting.Count == 0
                ? Results.Text("ready\n")
                : Results.Text(string.Concat(waiting.Select(w => w + "\n")), statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }

    /// <summary>What the process still waits for before it is ready (empty: ready).</summary>
    public static IReadOnlyList<string> NotReady(IServiceProvider services, MeshRole role)
    {
        ArgumentNullException.ThrowIfNull(services);
        var waiting = new List<string>();
        if (role is MeshRole.All or MeshRole.Silo)
        {
            var membership = services.GetRequiredService<IClusterMembershipService>();
            var self = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var status = membership.CurrentSnapshot.GetSiloStatus(self);
            if (status != SiloStatus.Active)
            {
                waiting.Add($"silo {self} is {status}, not yet active in its cluster");
            }
        }

        if (role is MeshRole.All or MeshRole.Frontend && !services.GetRequiredService<ResourceCache>().Ready.IsCompleted)
        {
            waiting.Add("the frontend holds no snapshot of the mesh yet");
        }

        return waiting;
    }
}
