using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>One page of a list, taken consistently at <see cref="Revision"/>.</summary>
/// <param name="Items">The objects, private copies, in etcd key order.</param>
/// <param name="Revision">The revision the list is consistent at.</param>
/// <param name="Continue">The token for the next page, or null on the last page.</param>
/// <param name="RemainingItemCount">How many objects follow this page, when paging.</param>
internal sealed record KubernetesListSnapshot(IReadOnlyList<JsonObject> Items, long Revision, string? Continue, long? RemainingItemCount);
