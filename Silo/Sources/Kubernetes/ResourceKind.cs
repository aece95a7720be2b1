using System.Text.Json;
using k8s;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// One kind of object a member cluster's API serves, listed and watched through KubernetesClient.
/// Objects come out as JSON text with <c>apiVersion</c> and <c>kind</c> set (list items lack
/// them), so they pass the same validators as the YAML directory's documents.
/// </summary>
public abstract class ResourceKind(string apiVersion, string kind)
{
    /// <summary>The API version objects of this kind are read at, e.g. <c>discovery.k8s.io/v1</c>.</summary>
    public string ApiVersion { get; } = apiVersion;

    /// <summary>The kind, e.g. <c>EndpointSlice</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary>Lists every object of the kind: the list's resourceVersion and the objects.</summary>
    public abstract Task<(string ResourceVersion, IReadOnlyList<WatchedObject> Items)> ListAsync(IKubernetes client, CancellationToken cancellationToken);

    /// <summary>Watches the kind from <paramref name="resourceVersion"/>, with bookmarks, for at most <paramref name="timeoutSeconds"/>.</summary>
    public abstract IAsyncEnumerable<(WatchEventType Type, WatchedObject Object)> WatchAsync(IKubernetes client, string resourceVersion, int timeoutSeconds, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public override string ToString() => $"{ApiVersion} {Kind}";
}

/// <summary>An object as a watch or list delivered it.</summary>
/// <param name="Namespace">Its namespace (empty for cluster-scoped kinds).</param>
/// <param name="Name">Its name.</param>
/// <param name="ResourceVersion">Its resourceVersion.</param>
/// <param name="Json">The whole object as JSON, with apiVersion and kind.</param>
public sealed record WatchedObject(string Namespace, string Name, string ResourceVersion, string Json);

/// <summary>A built-in kind with KubernetesClient's typed models.</summary>
public sealed class TypedResourceKind<T, TList>(
    string apiVersion,
    string kind,
    Func<IKubernetes, CancellationToken, Task<TList>> list,
    Func<IKubernetes, string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : ResourceKind(apiVersion, kind)
    where T : IKubernetesObject<k8s.Models.V1ObjectMeta>
    where TList : k8s.Models.IItems<T>, k8s.Models.IMetadata<k8s.Models.V1ListMeta>
{
    /// <inheritdoc/>
    public override async Task<(string ResourceVersion, IReadOnlyList<WatchedObject> Items)> ListAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var body = await list(client, cancellationToken);
        return (body.Metadata?.ResourceVersion ?? string.Empty, body.Items.Select(Wrap).ToList());
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<(WatchEventType Type, WatchedObject Object)> WatchAsync(
        IKubernetes client, string resourceVersion, int timeoutSeconds, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? failure = null;
        await foreach (var (type, item) in watch(client, resourceVersion, timeoutSeconds, e => failure ??= e, cancellationToken))
        {
            yield return (type, Wrap(item));
        }

        if (failure is not null)
        {
            throw new WatchFailedException(failure);
        }
    }

    private WatchedObject Wrap(T item)
    {
        item.ApiVersion ??= ApiVersion;
        item.Kind ??= Kind;
        return new WatchedObject(item.Metadata?.NamespaceProperty ?? string.Empty, item.Metadata?.Name ?? string.Empty, item.Metadata?.ResourceVersion ?? string.Empty, KubernetesJson.Serialize(item));
    }
}

/// <summary>A custom resource (an Istio CRD), read as raw JSON through the custom objects API.</summary>
public sealed class CustomResourceKind(string group, string version, string plural, string kind) : ResourceKind($"{group}/{version}", kind)
{
    /// <summary>The resource's plural name, e.g. <c>virtualservices</c>.</summary>
    public string Plural { get; } = plural;

    /// <inheritdoc/>
    public override async Task<(string ResourceVersion, IReadOnlyList<WatchedObject> Items)> ListAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var body = await client.CustomObjects.ListClusterCustomObjectAsync(group, version, Plural, cancellationToken: cancellationToken);
        var list = KubernetesJson.Deserialize<CustomObjectList>(((JsonElement)body).GetRawText());
        return (list.Metadata?.ResourceVersion ?? string.Empty, (list.Items ?? []).Select(Wrap).ToList());
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<(WatchEventType Type, WatchedObject Object)> WatchAsync(
        IKubernetes client, string resourceVersion, int timeoutSeconds, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var events = client.CustomObjects.WatchListClusterCustomObjectAsync(
            group, version, Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: e => failure ??= e, cancellationToken: cancellationToken);
        await foreach (var (type, item) in events)
        {
            var raw = item is JsonElement element ? element.GetRawText() : KubernetesJson.Serialize(item);
            yield return (type, Wrap(KubernetesJson.Deserialize<CustomObject>(raw)));
        }

        if (failure is not null)
        {
            throw new WatchFailedException(failure);
        }
    }

    private WatchedObject Wrap(CustomObject item)
    {
        item.ApiVersion = item.ApiVersion.Length > 0 ? item.ApiVersion : ApiVersion;
        item.Kind = item.Kind.Length > 0 ? item.Kind : Kind;
        return new WatchedObject(item.Metadata?.NamespaceProperty ?? string.Empty, item.Metadata?.Name ?? string.Empty, item.Metadata?.ResourceVersion ?? string.Empty, KubernetesJson.Serialize(item));
    }
}
