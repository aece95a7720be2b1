using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>A custom resource as the API serves it: metadata typed, everything else kept as JSON so it reaches the validators whole.</summary>
public sealed class CustomObject : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc/>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = string.Empty;

    /// <inheritdoc/>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <inheritdoc/>
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Every other field (<c>spec</c>, <c>status</c>, ...).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Fields { get; set; }
}
