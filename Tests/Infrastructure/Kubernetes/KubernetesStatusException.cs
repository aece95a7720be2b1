using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A request the fake API server refuses; it becomes a <c>Status</c> body with <see cref="Code"/>, as the
/// real server answers (<c>kind: Status</c>, <c>status: Failure</c>, a reason and a message).
/// </summary>
internal sealed class KubernetesStatusException(int code, string reason, string message, JsonObject? details = null)
    : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Code { get; } = code;

    /// <summary>The Status reason, such as <c>NotFound</c> or <c>Expired</c>.</summary>
    public string Reason { get; } = reason;

    /// <summary>The Status body.</summary>
    public JsonObject ToStatus() => Status(Code, Reason, Message, details);

    /// <summary>A <c>Status</c> object in the shape the API server sends.</summary>
    public static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    /// <summary>The 404 the server sends for a path it serves no resource at (also a CRD that is not installed).</summary>
    public static KubernetesStatusException UnknownPath() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    /// <summary>The 410 for a resource version older than the compaction point.</summary>
    public static KubernetesStatusException Expired(string message) => new(410, "Expired", message);
}
