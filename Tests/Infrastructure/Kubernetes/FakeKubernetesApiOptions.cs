using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>Settings of a <see cref="FakeKubernetesApi"/>.</summary>
public sealed class FakeKubernetesApiOptions
{
    /// <summary>The bearer token every request must carry. Default: a fresh random token.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// How often watches with <c>allowWatchBookmarks=true</c> get a BOOKMARK. Default 1 s (the real
    /// server: about a minute). <see cref="Timeout.InfiniteTimeSpan"/> sends them only on
    /// <see cref="FakeKubernetesApi.SendBookmarks"/>.
    /// </summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many changes the event history keeps before the oldest are compacted away. Default 10,000.</summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>Whether custom resource types (VirtualService) start installed. Default true.</summary>
    public bool CustomResourcesInstalled { get; init; } = true;

    /// <summary>
    /// The HTTP versions served. Default HTTP/1.1 and HTTP/2, as the API server offers over TLS;
    /// KubernetesClient asks for HTTP/2, so its watches are HTTP/2 streams unless this says HTTP/1.1.
    /// </summary>
    public HttpProtocols Protocols { get; init; } = HttpProtocols.Http1AndHttp2;

    /// <summary>The clock for bookmarks, timestamps and certificates. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
