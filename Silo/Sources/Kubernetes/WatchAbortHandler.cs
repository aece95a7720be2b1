namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>
/// Closes every watch stream still open when the Kubernetes client is disposed. KubernetesClient
/// (21.0.8) answers a watch call only once the first event line has arrived; a watch cancelled
/// before that line (a quiet kind whose first bookmark has not come yet) ends without its
/// response being disposed, and disposing the client does not close it either: the HTTP/2
/// stream stays open and the API server keeps serving a watch nobody reads until its
/// timeoutSeconds pass. A source that stops (its silo shutting down, its grain deactivated,
/// its spec changed) must leave no watch behind, or the API server sees two watchers of one
/// member cluster, the old one lingering for minutes.
/// </summary>
public sealed class WatchAbortHandler : DelegatingHandler
{
    private readonly object _gate = new();
    private readonly List<WeakReference<HttpContent>> _watches = [];
    private bool _disposed;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!IsWatch(request))
        {
            return response;
        }

        // The content the transport made, before KubernetesClient wraps it: disposing it resets
        // the stream (HTTP/2) or closes the connection (HTTP/1.1). Held weakly: a watch that
        // ended normally is garbage, and its entry is dropped on the next watch.
        var content = response.Content;
        lock (_gate)
        {
            if (!_disposed)
            {
                _watches.RemoveAll(w => !w.TryGetTarget(out _));
                _watches.Add(new WeakReference<HttpContent>(content));
                return response;
            }
        }

        content.Dispose();
        return response;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            List<WeakReference<HttpContent>> open;
            lock (_gate)
            {
                _disposed = true;
                open = [.. _watches];
                _watches.Clear();
            }

            foreach (var watch in open)
            {
                if (watch.TryGetTarget(out var content))
                {
                    content.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private static bool IsWatch(HttpRequestMessage request) =>
        request.RequestUri?.Query is { Length: > 0 } query
        && query.TrimStart('?').Split('&').Any(p => p is "watch=true" or "watch=1");
}
