using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// One change in the store's bounded event history, the stand-in for etcd's revisions that a watch
/// resumes from.
/// </summary>
/// <param name="Revision">The global revision the change made.</param>
/// <param name="Type">The changed object's type.</param>
/// <param name="Namespace">The object's namespace; null for cluster-scoped types.</param>
/// <param name="Key">The object's key within its type (<c>namespace/name</c> or <c>name</c>).</param>
/// <param name="Previous">The object before the change; null when it was created. Lets a list be served as of an older revision.</param>
/// <param name="Current">The object after the change; null when it was deleted. With <paramref name="Previous"/>, lets a watch with a field selector tell whether the object entered or left its selection.</param>
/// <param name="Line">The watch event, serialized once, as every stream without a field selector sends it.</param>
internal sealed record KubernetesHistoryEntry(long Revision, KubernetesResourceType Type, string? Namespace, string Key, JsonObject? Previous, JsonObject? Current, string Line);
