namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>A watch stream ended with an error KubernetesClient reported through its error callback.</summary>
public sealed class WatchFailedException(Exception inner) : Exception("the watch failed: " + inner.Message, inner);
