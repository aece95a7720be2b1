using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// An in-process stand-in for the Kubernetes API server's HTTP protocol, faithful enough that code
/// which knows only a kubeconfig and talks through KubernetesClient cannot tell it apart: HTTPS on
/// 127.0.0.1 with a CA made at test time, bearer-token auth, list and watch of core, grouped and
/// custom resources, one global resourceVersion, bookmarks, 410 after compaction, and outages.
/// </summary>
/// <remarks>
/// <para>What KubernetesClient 21.0.8 surfaces, checked by <c>FakeKubernetesApiTests</c>:</para>
/// <list type="bullet">
/// <item><b>Watch start.</b> <c>List…WithHttpMessagesAsync(watch: true)</c> completes only when the
/// first event line arrives (the client peeks it), not when headers do. A watch from the current
/// revision with nothing happening waits for the first BOOKMARK. A watch stream that ends with no
/// line at all (timeoutSeconds with nothing sent) fails that call (and so the enumeration) with
/// <see cref="System.Net.Http.HttpRequestException"/>, inner <see cref="EndOfStreamException"/>.</item>
/// <item><b>Requests.</b> A typed list sends <c>GET /api/v1/services?watch=false</c>; a watch sends
/// <c>?allowWatchBookmarks=true&amp;resourceVersion=N&amp;watch=true</c> (parameters in alphabetical
/// order, absent ones left out), over HTTP/2.</item>
/// <item><b>410 after compaction.</b> The watch call succeeds (200); <c>WatchAsync</c> yields no
/// event for the ERROR line but calls <c>onError</c> with a <c>k8s.KubernetesException</c> whose
/// <c>Status.Code</c> is 410, <c>Status.Reason</c> "Expired" and <c>Status.Message</c>
/// "too old resource version: X (Y)"; the enumeration then ends normally (no exception). The
/// caller must relist. A list with <c>resourceVersionMatch=Exact</c> at a compacted revision throws
/// <c>k8s.Autorest.HttpOperationException</c> with <c>Response.StatusCode</c> 410 (Gone).</item>
/// <item><b>Down (503).</b> List and watch calls throw <c>HttpOperationException</c>,
/// <c>Response.StatusCode</c> ServiceUnavailable, <c>Response.Content</c> the Status JSON. Open
/// watches are aborted (see below).</item>
/// <item><b>Wrong or missing token (401).</b> <c>HttpOperationException</c>, StatusCode Unauthorized.</item>
/// <item><b>CRD not installed (404).</b> <c>HttpOperationException</c>, StatusCode NotFound, content a
/// Status with reason NotFound. Uninstalling ends open watches of the type cleanly after DELETED events.</item>
/// <item><b>Dropped watch</b> (<see cref="DropWatches"/>, or <see cref="SetDown"/>). The enumeration of
/// <c>WatchAsync</c> throws; <c>onError</c> is not called. Over HTTP/2 (what the client negotiates):
/// <see cref="System.Net.Http.HttpProtocolException"/> (an <see cref="IOException"/>), "The HTTP/2 server
/// reset the stream. HTTP/2 error code 'INTERNAL_ERROR' (0x2)". Over HTTP/1.1: <see cref="IOException"/>
/// "Unable to read data from the transport connection: Connection reset by peer", inner
/// <see cref="System.Net.Sockets.SocketException"/>. A clean end (timeoutSeconds, CRD uninstalled)
/// ends the enumeration without an exception.</item>
/// <item><b>Bookmark.</b> Yielded as <c>(WatchEventType.Bookmark, T)</c> whose
/// <c>Metadata.ResourceVersion</c> is the revision; every other field of T is empty.</item>
/// </list>
/// <para><b>fieldSelector</b> is evaluated as the real server does for the fields the fake knows
/// (<c>metadata.name</c>, <c>metadata.namespace</c> on namespaced types, <c>type</c> on Secrets;
/// see <see cref="KubernetesFieldSelector"/>): lists, their continued pages and exact-revision lists
/// hold only matching objects; a watch sends only matching ones, DELETED for an object that stops
/// matching and ADDED for one that starts to. Any other field answers 400 "field label not supported".</para>
/// <para>Not served: labelSelector (400, so a test notices), writes over HTTP
/// (405: tests change state through <see cref="Apply(JsonObject)"/>), sendInitialEvents, and the
/// server's own watch timeout (a watch without timeoutSeconds stays open until it is dropped).</para>
/// <para>Simplified: a list at a resourceVersion newer than the current one answers 504 at once (the
/// real server waits about 3 s first); a list at an exact older revision is rebuilt from the event
/// history, so an object removed by <see cref="DeleteSilently"/> stays gone in it; a page of a list
/// with a fieldSelector ends at its last matching object (the real server may hand out a continue
/// token whose next page turns out empty).</para>
/// </remarks>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KubernetesObjectStore _store;
    private readonly FakeKubernetesCertificates _certificates;
    private readonly FakeKubernetesApiOptions _options;
    private readonly List<FakeKubernetesRequest> _requests = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Namespace, string ServiceAccount, string[] Audiences)> _serviceAccountTokens = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _bookmarks = Task.CompletedTask;
    private volatile bool _down;

    private FakeKubernetesApi(WebApplication app, KubernetesObjectStore store, FakeKubernetesCertificates certificates, FakeKubernetesApiOptions options, string token)
    {
        _app = app;
        _store = store;
        _certificates = certificates;
        _options = options;
        Token = token;
    }

    /// <summary>The bearer token requests must carry.</summary>
    public string Token { get; }

    /// <summary>The server's address, <c>https://127.0.0.1:port</c>.</summary>
    public Uri ServerUri { get; private set; } = new("https://127.0.0.1");

    /// <summary>The PEM of the CA that signed the server's certificate.</summary>
    public string CertificateAuthorityPem => _certificates.AuthorityPem;

    /// <summary>A kubeconfig that reaches this server with the right token and TLS verification on.</summary>
    public string Kubeconfig => KubeconfigWithToken(Token);

    /// <summary>The current global resourceVersion (etcd's revision).</summary>
    public long ResourceVersion => _store.Revision;

    /// <summary>Every request answered so far, in the order their responses started.</summary>
    public IReadOnlyList<FakeKubernetesRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>Starts a fake API server on 127.0.0.1 with a free port.</summary>
    public static async Task<FakeKubernetesApi> StartAsync(FakeKubernetesApiOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FakeKubernetesApiOptions();
        var token = options.Token ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var certificates = FakeKubernetesCertificates.Create(options.TimeProvider);
        var store = new KubernetesObjectStore(options.HistoryLimit, options.TimeProvider, options.CustomResourcesInstalled);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = options.Protocols;
            listen.UseHttps(certificates.Server);
        }));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        var api = new FakeKubernetesApi(app, store, certificates, options, token);
        app.Run(api.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        api.ServerUri = new Uri("https://127.0.0.1:" + new Uri(address).Port.ToString(CultureInfo.InvariantCulture));
        if (options.BookmarkInterval != Timeout.InfiniteTimeSpan)
        {
            api._bookmarks = api.SendBookmarksPeriodicallyAsync(options.BookmarkInterval);
        }

        return api;
    }

    /// <summary>A kubeconfig for this server that presents <paramref name="token"/>.</summary>
    public string KubeconfigWithToken(string token) =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: {ServerUri.AbsoluteUri.TrimEnd('/')}
            certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificateAuthorityPem))}
        users:
        - name: fake-user
          user:
            token: {token}
        contexts:
        - name: fake
          context:
            cluster: fake
            user: fake-user
            namespace: default
        current-context: fake

        """;

    /// <summary>Writes <see cref="Kubeconfig"/> (or one with <paramref name="token"/>) to <paramref name="path"/>.</summary>
    public void WriteKubeconfig(string path, string? token = null) => File.WriteAllText(path, KubeconfigWithToken(token ?? Token));

    /// <summary>
    /// Creates or updates an object by apiVersion, kind, metadata.namespace (default "default") and
    /// metadata.name; returns what is stored (with resourceVersion, uid, creationTimestamp, generation).
    /// </summary>
    public JsonObject Apply(JsonObject value) => _store.Apply(value);

    /// <summary>Applies every document of a YAML or JSON manifest; returns what is stored.</summary>
    public IReadOnlyList<JsonObject> Apply(string manifest) => KubernetesYaml.Parse(manifest).Select(_store.Apply).ToList();

    /// <summary>Deletes an object and sends DELETED; false when there was none.</summary>
    public bool Delete(string kind, string? @namespace, string name) => _store.Delete(TypeOfKind(kind), @namespace, name, silently: false);

    /// <summary>
    /// Deletes an object with no watch event and no history, as if a watcher missed the event: only
    /// a relist shows it gone. The resourceVersion still moves on.
    /// </summary>
    public bool DeleteSilently(string kind, string? @namespace, string name) => _store.Delete(TypeOfKind(kind), @namespace, name, silently: true);

    /// <summary>Installs the CRD of a custom resource type (default virtualservices): its paths are served.</summary>
    public void InstallCrd(string resource = "virtualservices") => _store.Install(CustomType(resource));

    /// <summary>
    /// Uninstalls the CRD: its objects are deleted (DELETED events), its open watches end cleanly, and
    /// its paths answer 404 with a Status body.
    /// </summary>
    public void UninstallCrd(string resource = "virtualservices") => _store.Uninstall(CustomType(resource));

    /// <summary>Sends a BOOKMARK at the current resourceVersion to every watch that allows bookmarks.</summary>
    public void SendBookmarks() => _store.SendBookmarks();

    /// <summary>Drops the event history up to now: watches from an older resourceVersion get a 410 ERROR event.</summary>
    public void Compact() => _store.Compact();

    /// <summary>While down, every request answers 503 with a Status body; going down aborts every open watch.</summary>
    public void SetDown(bool down)
    {
        _down = down;
        if (down)
        {
            _store.AbortWatches();
        }
    }

    /// <summary>Aborts every open watch connection (a reset, not a clean end of the response).</summary>
    public void DropWatches() => _store.AbortWatches();

    /// <summary>How many watch streams of <paramref name="resource"/> (plural, such as <c>services</c>) are open.</summary>
    public int WatchCount(string resource) =>
        _store.WatchCount(KubernetesResourceTypes.FindByResource(resource) ?? throw new ArgumentException($"Unknown resource {resource}.", nameof(resource)));

    /// <summary>Forgets the request log.</summary>
    /// <summary>
    /// Makes <paramref name="token"/> a token of <paramref name="serviceAccount"/> in <paramref name="ns"/>
    /// for <paramref name="audiences"/>, as the TokenReview API (<c>authentication.k8s.io/v1</c>) reviews it.
    /// </summary>
    public void AddServiceAccountToken(string token, string ns, string serviceAccount, params string[] audiences) =>
        _serviceAccountTokens[token] = (ns, serviceAccount, audiences);

    public void ClearRequests()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _store.AbortWatches();
        await _bookmarks;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _certificates.Dispose();
            _stopping.Dispose();
        }
    }

    private async Task SendBookmarksPeriodicallyAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                _store.SendBookmarks();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var request = context.Request;
            lock (_requests)
            {
                _requests.Add(new FakeKubernetesRequest(request.Method, request.Path.ToUriComponent() + request.QueryString.ToUriComponent(), context.Response.StatusCode, request.Protocol));
            }

            return Task.CompletedTask;
        });

        try
        {
            if (_down)
            {
                throw new KubernetesStatusException(503, "ServiceUnavailable", "the server is currently unable to handle the request");
            }

            // The API server answers a request without valid credentials 401 before routing it.
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
            {
                throw new KubernetesStatusException(401, "Unauthorized", "Unauthorized");
            }

            await RouteAsync(context);
        }
        catch (KubernetesStatusException refusal)
        {
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, refusal.Code, refusal.ToStatus());
            }
        }
    }

    private async Task RouteAsync(HttpContext context)
    {
        var segments = context.Request.Path.Value!.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["api"]:
                await WriteJsonAsync(context, 200, new JsonObject
                {
                    ["kind"] = "APIVersions",
                    ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = ServerUri.Authority }),
                });
                return;
            case ["apis"]:
                await WriteJsonAsync(context, 200, GroupList());
                return;
            case ["api", var version, .. var rest]:
                await ServeGroupVersionAsync(context, "", version, rest);
                return;
            case ["apis", "authentication.k8s.io", "v1", "tokenreviews"] when HttpMethods.IsPost(context.Request.Method):
                await ReviewTokenAsync(context);
                return;
            case ["apis", var group, var version, .. var rest]:
                await ServeGroupVersionAsync(context, group, version, rest);
                return;
            default:
                throw KubernetesStatusException.UnknownPath();
        }
    }

    private async Task ServeGroupVersionAsync(HttpContext context, string group, string version, string[] rest)
    {
        var installed = _store.InstalledTypes().Where(type => type.Group == group && type.Version == version).ToList();
        if (installed.Count == 0)
        {
            throw KubernetesStatusException.UnknownPath();
        }

        if (rest.Length == 0)
        {
            await WriteJsonAsync(context, 200, ResourceList(group, version, installed));
            return;
        }

        var (resource, @namespace, name) = rest switch
        {
            [var r] => (r, (string?)null, (string?)null),
            [var r, var n] => (r, null, n),
            ["namespaces", var ns, var r] => (r, ns, null),
            ["namespaces", var ns, var r, var n] => (r, ns, n),
            _ => throw KubernetesStatusException.UnknownPath(),
        };
        var type = installed.FirstOrDefault(candidate => candidate.Resource == resource) ?? throw KubernetesStatusException.UnknownPath();
        if (@namespace is not null && !type.Namespaced)
        {
            throw KubernetesStatusException.UnknownPath();
        }

        if (name is not null && type.Namespaced && @namespace is null)
        {
            throw KubernetesStatusException.UnknownPath();
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            throw new KubernetesStatusException(405, "MethodNotAllowed", $"the fake Kubernetes API serves GET only, not {context.Request.Method}");
        }

        var query = context.Request.Query;
        if (!string.IsNullOrEmpty(query["labelSelector"]))
        {
            throw new KubernetesStatusException(400, "BadRequest", "the fake Kubernetes API does not evaluate labelSelector");
        }

        if (name is not null)
        {
            var found = _store.Get(type, @namespace, name)
                ?? throw new KubernetesStatusException(404, "NotFound", $"{type.Resource} \"{name}\" not found", new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Resource });
            await WriteJsonAsync(context, 200, found);
            return;
        }

        // A get by name ignores fieldSelector, as GetOptions has none; a list or watch evaluates it.
        var selector = KubernetesFieldSelector.Parse(query["fieldSelector"], type);
        if (IsTrue(query["watch"]))
        {
            await WatchAsync(context, type, @namespace, selector);
        }
        else
        {
            await ListAsync(context, type, @namespace, selector);
        }
    }

    private async Task ListAsync(HttpContext context, KubernetesResourceType type, string? @namespace, KubernetesFieldSelector? selector)
    {
        var query = context.Request.Query;
        long? exact = null;
        string? startAfter = null;
        string? continueToken = query["continue"];
        if (!string.IsNullOrEmpty(continueToken))
        {
            (exact, startAfter) = KubernetesObjectStore.ParseContinueToken(continueToken);
        }
        else if (query["resourceVersionMatch"] == "Exact")
        {
            exact = ParseRevision(query["resourceVersion"]) ?? throw new KubernetesStatusException(400, "BadRequest", "resourceVersionMatch=Exact needs a resourceVersion other than 0");
        }
        else if (ParseRevision(query["resourceVersion"]) is long notOlderThan && notOlderThan > _store.Revision)
        {
            throw new KubernetesStatusException(504, "Timeout", $"Too large resource version: {notOlderThan}, current: {_store.Revision}");
        }

        int? limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed : null;
        var snapshot = _store.List(type, @namespace, selector, exact, startAfter, limit);
        var metadata = new JsonObject { ["resourceVersion"] = snapshot.Revision.ToString(CultureInfo.InvariantCulture) };
        if (snapshot.Continue is not null)
        {
            metadata["continue"] = snapshot.Continue;
            if (snapshot.RemainingItemCount is long remaining)
            {
                metadata["remainingItemCount"] = remaining;
            }
        }

        // Items of a list carry no apiVersion and kind: the list's own say what they are.
        var items = new JsonArray();
        foreach (var item in snapshot.Items)
        {
            item.Remove("apiVersion");
            item.Remove("kind");
            items.Add(item);
        }

        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = items,
        });
    }

    private async Task WatchAsync(HttpContext context, KubernetesResourceType type, string? @namespace, KubernetesFieldSelector? selector)
    {
        var query = context.Request.Query;
        var watch = _store.OpenWatch(type, @namespace, selector, ParseRevision(query["resourceVersion"]), IsTrue(query["allowWatchBookmarks"]));
        TimeSpan? timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
        using var timeoutSource = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, context.RequestAborted, _stopping.Token);
        try
        {
            // Headers go out at once, as the API server flushes them before the first event; over
            // HTTP/1.1 the body is chunked, one JSON event per line.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(linked.Token);
            await context.Response.Body.FlushAsync(linked.Token);
            await foreach (var line in watch.Lines.ReadAllAsync(linked.Token))
            {
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), linked.Token);
                await context.Response.Body.FlushAsync(linked.Token);
            }

            if (watch.Aborted)
            {
                context.Abort();
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            // timeoutSeconds passed: the server ends the response cleanly.
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            context.Abort();
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client went away.
        }
        finally
        {
            _store.CloseWatch(watch);
        }
    }

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var byGroup in _store.InstalledTypes().Where(type => type.Group.Length > 0).GroupBy(type => type.Group))
        {
            var versions = new JsonArray();
            foreach (var version in byGroup.Select(type => type.Version).Distinct())
            {
                versions.Add(new JsonObject { ["groupVersion"] = byGroup.Key + "/" + version, ["version"] = version });
            }

            groups.Add(new JsonObject
            {
                ["name"] = byGroup.Key,
                ["versions"] = versions,
                ["preferredVersion"] = versions[0]!.DeepClone(),
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static JsonObject ResourceList(string group, string version, IEnumerable<KubernetesResourceType> types)
    {
        var resources = new JsonArray();
        foreach (var type in types)
        {
            resources.Add(new JsonObject
            {
                ["name"] = type.Resource,
                ["singularName"] = type.Kind.ToLowerInvariant(),
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = new JsonArray("get", "list", "watch"),
            });
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }

    /// <summary>
    /// A TokenReview, as the API server answers it: authenticated with the service account's user
    /// name and the audiences asked for that the token holds, or not authenticated with an error.
    /// </summary>
    private async Task ReviewTokenAsync(HttpContext context)
    {
        var review = await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(context.Request.Body, cancellationToken: context.RequestAborted)
            ?? throw new KubernetesStatusException(400, "BadRequest", "empty body");
        var token = (string?)review["spec"]?["token"] ?? string.Empty;
        var asked = review["spec"]?["audiences"]?.AsArray().Select(a => (string)a!).ToList() ?? [];
        JsonObject status;
        if (_serviceAccountTokens.TryGetValue(token, out var account) && (asked.Count == 0 || asked.Intersect(account.Audiences).Any()))
        {
            status = new JsonObject
            {
                ["authenticated"] = true,
                ["user"] = new JsonObject
                {
                    ["username"] = $"system:serviceaccount:{account.Namespace}:{account.ServiceAccount}",
                    ["groups"] = new JsonArray("system:serviceaccounts", $"system:serviceaccounts:{account.Namespace}", "system:authenticated"),
                },
                ["audiences"] = new JsonArray([.. (asked.Count == 0 ? account.Audiences : asked.Intersect(account.Audiences)).Select(a => (JsonNode?)a)]),
            };
        }
        else
        {
            status = new JsonObject { ["authenticated"] = false, ["error"] = account.Namespace is null ? "invalid bearer token" : "token audiences is invalid for the target audiences" };
        }

        review["status"] = status;
        await WriteJsonAsync(context, 201, review);
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, JsonObject body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static bool IsTrue(string? value) => value is "true" or "1";

    private static long? ParseRevision(string? value)
    {
        if (string.IsNullOrEmpty(value) || value == "0")
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
            ? revision
            : throw new KubernetesStatusException(400, "BadRequest", $"resourceVersion: Invalid value: \"{value}\": must be a non-negative integer");
    }

    private static KubernetesResourceType TypeOfKind(string kind) =>
        KubernetesResourceTypes.FindByKind(null, kind) ?? throw new ArgumentException($"The fake serves no kind {kind}.", nameof(kind));

    private static KubernetesResourceType CustomType(string resource) =>
        KubernetesResourceTypes.FindByResource(resource) is { IsCustom: true } type
            ? type
            : throw new ArgumentException($"{resource} is not a custom resource type.", nameof(resource));
}
