using System.Text.Json.Serialization;
using k8s.Models;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>A list of custom resources as the API serves it.</summary>
public sealed class CustomObjectList
{
    /// <summary>The list's metadata (its resourceVersion is where a watch starts).</summary>
    [JsonPropertyName("metadata")]
    public V1ListMeta? Metadata { get; set; }

    /// <summary>The objects.</summary>
    [JsonPropertyName("items")]
    public List<CustomObject>? Items { get; set; }
}
