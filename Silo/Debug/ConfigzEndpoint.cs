using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Orleans.Grains.Interfaces.Model;
using static Mesh.Orleans.Silo.Debug.ClusterObjectsReader;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// istiod's <c>/debug/configz</c> on the debug port: every object the member clusters accepted
/// (kind, namespace, name, member cluster) with its spec as the mesh holds it, serialized with
/// System.Text.Json. Secrets are listed by kind, namespace and name only: their grain never
/// hands out their contents here (see <see cref="ClusterObjects"/>).
/// </summary>
internal static class ConfigzEndpoint
{
    private static readonly JsonSerializerOptions s_spec = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
        MaxDepth = 64,
    };

    /// <summary>Maps <c>/debug/configz</c>.</summary>
    public static IEndpointRouteBuilder MapConfigzEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/debug/configz", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (DebugQuery.Limit(http.Request, out var error) is not int limit)
            {
                return error!;
            }

            var reads = await ReadAsync(http.RequestServices, null, limit, cancellationToken);
            var configs = new List<object>();
            foreach (var read in reads)
            {
                foreach (var value in read.Objects?.Objects ?? [])
                {
                    var key = MeshObjectKey.Of(value);
                    configs.Add(new { kind = key.Kind, @namespace = key.Namespace, name = key.Name, cluster = read.ClusterId, spec = Spec(value) });
                }

                foreach (var secret in read.Objects?.Secrets ?? [])
                {
                    configs.Add(new { kind = secret.Kind, @namespace = secret.Namespace, name = secret.Name, cluster = read.ClusterId, spec = (JsonElement?)null });
                }
            }

            return Results.Json(new
            {
                configs = configs.Take(limit),
                truncated = configs.Count > limit || reads.Any(r => r.Objects?.Truncated == true),
                errors = Errors(reads),
            });
        });

        return endpoints;
    }

    /// <summary>The object as JSON; an object the serializer cannot write shows why instead of failing the page.</summary>
    private static JsonElement? Spec(object value)
    {
        // A Secret never gets here (the grain names it only); the check keeps it so if that changes.
        if (value is MeshSecret)
        {
            return null;
        }

        try
        {
            return JsonSerializer.SerializeToElement(value, value.GetType(), s_spec);
        }
        catch (Exception exception) when (exception is NotSupportedException or InvalidOperationException or JsonException)
        {
            return JsonSerializer.SerializeToElement(new { error = $"not serializable: {exception.Message}" }, s_spec);
        }
    }
}
