using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Drives <see cref="FakeKubernetesApi"/> only through KubernetesClient and a kubeconfig file, as
/// production code will, and pins down what the client surfaces in each case the fake can stage.
/// </summary>
public sealed class FakeKubernetesApiTests : IAsyncLifetime
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private const string TwoServices = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: shop
          labels:
            app: reviews
        spec:
          ports:
          - name: http
            port: 9080
            targetPort: 9080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: ratings
          namespace: books
        spec:
          ports:
          - port: 8080
        """;

    // Istio's SecretsFieldSelector, spelled out so the fake is tested apart from the source.
    private const string IstioSecretsSelector = "type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token";

    private const string FourSecrets = """
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/tls
        metadata: {name: ingress-cert, namespace: istio-system}
        data: {tls.crt: Y2VydA==, tls.key: a2V5}
        ---
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/service-account-token
        metadata: {name: default-token, namespace: shop}
        data: {token: dG9rZW4=}
        ---
        apiVersion: v1
        kind: Secret
        type: helm.sh/release.v1
        metadata: {name: sh.helm.release.v1.shop.v1, namespace: shop}
        data: {release: SDRzSQ==}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: app-settings, namespace: shop}
        stringData: {password: hunter2}
        """;

    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private FakeKubernetesApi _api = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync(new FakeKubernetesApiOptions { BookmarkInterval = Timeout.InfiniteTimeSpan });
        _client = ClientFor(_api);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        _timeout.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task ListServiceForAllNamespaces_AfterApply_ReturnsTypedServicesAtCurrentResourceVersion()
    {
        // Arrange
        _api.Apply(TwoServices);

        // Act
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(_api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), list.Metadata.ResourceVersion);
        Assert.Equal(["books/ratings", "shop/reviews"], list.Items.Select(service => service.Metadata.NamespaceProperty + "/" + service.Metadata.Name));
        var reviews = list.Items[1];
        Assert.Equal(9080, reviews.Spec.Ports[0].Port);
        Assert.Equal("reviews", reviews.Metadata.Labels["app"]);
        Assert.False(string.IsNullOrEmpty(reviews.Metadata.Uid));
        Assert.NotNull(reviews.Metadata.CreationTimestamp);
        Assert.Equal("GET /api/v1/services?watch=false 200", Describe(_api.Requests[^1]));
    }

    [Fact]
    public async Task ListNamespacedService_OtherNamespaceHasServices_ReturnsOnlyThatNamespace()
    {
        // Arrange
        _api.Apply(TwoServices);

        // Act
        var list = await _client.CoreV1.ListNamespacedServiceAsync("shop", cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal("reviews", Assert.Single(list.Items).Metadata.Name);
    }

    [Fact]
    public async Task ListServiceForAllNamespaces_WithLimit_PagesWithContinueTokens()
    {
        // Arrange
        _api.Apply(TwoServices);
        _api.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"details","namespace":"shop"}}""");

        // Act
        var first = await _client.CoreV1.ListServiceForAllNamespacesAsync(limit: 2, cancellationToken: _timeout.Token);
        _api.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"zzz","namespace":"shop"}}""");
        var second = await _client.CoreV1.ListServiceForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty, cancellationToken: _timeout.Token);

        // Assert: the second page is consistent with the first page's revision, as etcd's paging is.
        Assert.Equal(["ratings", "details"], first.Items.Select(service => service.Metadata.Name));
        Assert.Equal(1, first.Metadata.RemainingItemCount);
        Assert.Equal(["reviews"], second.Items.Select(service => service.Metadata.Name));
        Assert.Null(second.Metadata.ContinueProperty);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task WatchServices_FromListResourceVersion_ReceivesAddedModifiedDeletedAndBookmarks()
    {
        // Arrange
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: _timeout.Token));
        await Eventually.TrueAsync(() => _api.WatchCount("services") == 1, s_wait, "the watch is open");

        // Act
        _api.Apply(TwoServices);
        _api.Apply(TwoServices.Replace("9080", "9081", StringComparison.Ordinal));
        Assert.True(_api.Delete("Service", "books", "ratings"));
        _api.SendBookmarks();

        // Assert
        var events = await NextAsync(watch, 5);
        Assert.Equal(
            [(WatchEventType.Added, "reviews"), (WatchEventType.Added, "ratings"), (WatchEventType.Modified, "reviews"), (WatchEventType.Deleted, "ratings"), (WatchEventType.Bookmark, null)],
            events.Select(change => (change.Type, (string?)change.Object.Metadata.Name)));
        Assert.Equal(9081, events[2].Object.Spec.Ports[0].Port);
        Assert.Equal("v1", events[0].Object.ApiVersion);
        Assert.Equal("Service", events[0].Object.Kind);
        Assert.Equal(_api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), events[3].Object.Metadata.ResourceVersion);
        Assert.Equal(events[3].Object.Metadata.ResourceVersion, events[4].Object.Metadata.ResourceVersion);
        Assert.Empty(watch.Errors);
        var request = _api.Requests.Single(request => request.IsWatch);
        Assert.Equal($"GET /api/v1/services?allowWatchBookmarks=true&resourceVersion={list.Metadata.ResourceVersion}&watch=true 200", Describe(request));
        Assert.Equal("HTTP/2", request.Protocol);
    }

    [Fact]
    public async Task WatchServices_WithoutResourceVersion_StartsWithAddedForEveryObject()
    {
        // Arrange
        _api.Apply(TwoServices);

        // Act
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(watch: true, cancellationToken: _timeout.Token));
        var initial = await NextAsync(watch, 2);
        _api.Apply("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"details","namespace":"shop"}}""");
        var live = await NextAsync(watch, 1);

        // Assert
        Assert.Equal([(WatchEventType.Added, "ratings"), (WatchEventType.Added, "reviews")], initial.Select(change => (change.Type, change.Object.Metadata.Name)));
        Assert.Equal((WatchEventType.Added, "details"), (live[0].Type, live[0].Object.Metadata.Name));
    }

    [Fact]
    public async Task WatchServices_ResourceVersionOlderThanCompaction_ReportsExpiredThroughOnErrorAndEnds()
    {
        // Arrange
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);
        _api.Apply(TwoServices);
        _api.Compact();

        // Act
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: _timeout.Token));
        await watch.Completion.WaitAsync(s_wait);

        // Assert: no event, no exception out of the enumeration; onError got the 410 Status.
        Assert.False(watch.Events.Reader.TryRead(out _));
        var expired = Assert.IsType<KubernetesException>(Assert.Single(watch.Errors));
        Assert.Equal(410, expired.Status.Code);
        Assert.Equal("Expired", expired.Status.Reason);
        Assert.Equal($"too old resource version: {list.Metadata.ResourceVersion} ({_api.ResourceVersion})", expired.Status.Message);
        Assert.Equal(0, _api.WatchCount("services"));
    }

    [Fact]
    public async Task ListServices_ExactResourceVersionOlderThanCompaction_Throws410()
    {
        // Arrange
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);
        _api.Apply(TwoServices);
        _api.Compact();

        // Act
        var exact = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListServiceForAllNamespacesAsync(
            resourceVersion: list.Metadata.ResourceVersion, resourceVersionMatch: "Exact", cancellationToken: _timeout.Token));
        var plain = await _client.CoreV1.ListServiceForAllNamespacesAsync(resourceVersion: list.Metadata.ResourceVersion, cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(HttpStatusCode.Gone, exact.Response.StatusCode);
        Assert.Contains("\"reason\":\"Expired\"", exact.Response.Content, StringComparison.Ordinal);
        Assert.Equal(2, plain.Items.Count);
    }

    [Fact]
    public async Task ListServices_ExactResourceVersionInHistory_ReturnsTheStateThen()
    {
        // Arrange
        _api.Apply(TwoServices);
        var before = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);
        _api.Delete("Service", "shop", "reviews");

        // Act
        var then = await _client.CoreV1.ListServiceForAllNamespacesAsync(resourceVersion: before.Metadata.ResourceVersion, resourceVersionMatch: "Exact", cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(["ratings", "reviews"], then.Items.Select(service => service.Metadata.Name));
        Assert.Equal(before.Metadata.ResourceVersion, then.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task SetDown_WhileDown_RequestsThrow503AndOpenWatchesAreAborted()
    {
        // Arrange
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, watch: true, cancellationToken: _timeout.Token));
        await Eventually.TrueAsync(() => _api.WatchCount("services") == 1, s_wait, "the watch is open");
        _api.SendBookmarks();
        await NextAsync(watch, 1);

        // Act
        _api.SetDown(true);
        var down = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token));
        var watchEnd = await Record.ExceptionAsync(() => watch.Completion.WaitAsync(s_wait));
        _api.SetDown(false);
        var up = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", down.Response.Content, StringComparison.Ordinal);
        Assert.IsType<HttpProtocolException>(watchEnd);
        Assert.Empty(up.Items);
    }

    [Fact]
    public async Task ListServices_WrongToken_Throws401()
    {
        // Arrange
        using var client = ClientFor(_api, token: "not-the-token");

        // Act
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token));

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
        Assert.Contains("\"reason\":\"Unauthorized\"", refused.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListServices_KubeconfigTrustsAnotherCa_FailsTlsVerification()
    {
        // Arrange: a kubeconfig for this server whose CA is another fake's.
        await using var other = await FakeKubernetesApi.StartAsync(new FakeKubernetesApiOptions { Token = _api.Token, BookmarkInterval = Timeout.InfiniteTimeSpan });
        var path = _directory.Write("other-ca.kubeconfig", other.Kubeconfig.Replace(other.ServerUri.AbsoluteUri.TrimEnd('/'), _api.ServerUri.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal));
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        // Act
        var refused = await Record.ExceptionAsync(() => client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token));

        // Assert
        var failed = Assert.IsType<HttpRequestException>(refused);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(failed.InnerException);
        Assert.DoesNotContain(_api.Requests, request => request.Path == "/api/v1/services");
    }

    [Theory]
    [InlineData(HttpProtocols.Http1AndHttp2, "HTTP/2", typeof(HttpProtocolException))]
    [InlineData(HttpProtocols.Http1, "HTTP/1.1", typeof(IOException))]
    public async Task DropWatches_OpenWatch_EnumerationThrowsIOException(HttpProtocols protocols, string protocol, Type exception)
    {
        // Arrange
        await using var api = await FakeKubernetesApi.StartAsync(new FakeKubernetesApiOptions { Protocols = protocols, BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        using var client = ClientFor(api);
        var watch = StartWatch<V1Service, V1ServiceList>(client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, watch: true, cancellationToken: _timeout.Token));
        var bookmark = await NextAsync(watch, 1);

        // Act
        api.DropWatches();
        var dropped = await Record.ExceptionAsync(() => watch.Completion.WaitAsync(s_wait));

        // Assert
        Assert.Equal(WatchEventType.Bookmark, bookmark[0].Type);
        Assert.IsType(exception, dropped);
        Assert.Empty(watch.Errors);
        Assert.Equal(protocol, api.Requests.Single(request => request.IsWatch).Protocol);
    }

    [Fact]
    public async Task WatchServices_TimeoutSecondsPasses_EnumerationEndsCleanly()
    {
        // Arrange
        _api.Apply(TwoServices);

        // Act
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            timeoutSeconds: 1, watch: true, cancellationToken: _timeout.Token));
        await watch.Completion.WaitAsync(s_wait);

        // Assert
        Assert.Equal(2, (await NextAsync(watch, 2)).Count);
        Assert.Empty(watch.Errors);
    }

    [Fact]
    public async Task WatchServices_TimeoutSecondsPassesWithNoEvent_WatchCallThrowsHttpRequestException()
    {
        // Arrange
        var list = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);

        // Act
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 1, watch: true, cancellationToken: _timeout.Token));
        var ended = await Record.ExceptionAsync(() => watch.Completion.WaitAsync(s_wait));

        // Assert: KubernetesClient peeks the first line before the watch call returns.
        var failed = Assert.IsType<HttpRequestException>(ended);
        Assert.IsType<EndOfStreamException>(failed.InnerException);
    }

    [Fact]
    public async Task DeleteSilently_OpenWatch_SendsNothingButARelistShowsItGone()
    {
        // Arrange
        _api.Apply(TwoServices);
        var watch = StartWatch<V1Service, V1ServiceList>(_client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, watch: true, cancellationToken: _timeout.Token));
        await NextAsync(watch, 2);

        // Act
        Assert.True(_api.DeleteSilently("Service", "shop", "reviews"));
        _api.SendBookmarks();
        var next = await NextAsync(watch, 1);
        var relist = await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(WatchEventType.Bookmark, next[0].Type);
        Assert.Equal(["ratings"], relist.Items.Select(service => service.Metadata.Name));
    }

    [Fact]
    public async Task EndpointSlices_ListAndWatch_ServedUnderDiscoveryGroup()
    {
        // Arrange
        _api.Apply("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: reviews-abc
              namespace: shop
              labels:
                kubernetes.io/service-name: reviews
            addressType: IPv4
            ports:
            - name: http
              port: 9080
              protocol: TCP
            endpoints:
            - addresses: ["10.0.0.7"]
              conditions:
                ready: true
            """);

        // Act
        var list = await _client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: _timeout.Token);
        var watch = StartWatch<V1EndpointSlice, V1EndpointSliceList>(_client.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: _timeout.Token));
        await Eventually.TrueAsync(() => _api.WatchCount("endpointslices") == 1, s_wait, "the watch is open");
        _api.Delete("EndpointSlice", "shop", "reviews-abc");
        var deleted = await NextAsync(watch, 1);

        // Assert
        var slice = Assert.Single(list.Items);
        Assert.Equal("10.0.0.7", slice.Endpoints[0].Addresses[0]);
        Assert.True(slice.Endpoints[0].Conditions.Ready);
        Assert.Equal(9080, slice.Ports[0].Port);
        Assert.Equal((WatchEventType.Deleted, "reviews-abc"), (deleted[0].Type, deleted[0].Object.Metadata.Name));
        Assert.Contains(_api.Requests, request => request.Path == "/apis/discovery.k8s.io/v1/endpointslices" && request.IsWatch);
    }

    [Fact]
    public async Task VirtualServices_CrdInstalled_ListsItemsWithoutKindAndWatches()
    {
        // Arrange
        _api.Apply("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews
              namespace: shop
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination:
                    host: reviews
                    subset: v2
                  weight: 100
            """);

        // Act
        var list = (JsonElement)(await _client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
            "networking.istio.io", "v1", "virtualservices", cancellationToken: _timeout.Token)).Body;
        var watch = StartWatch<JsonElement, object>(_client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
            "networking.istio.io", "v1", "virtualservices", allowWatchBookmarks: true, resourceVersion: list.GetProperty("metadata").GetProperty("resourceVersion").GetString(), watch: true, cancellationToken: _timeout.Token));
        await Eventually.TrueAsync(() => _api.WatchCount("virtualservices") == 1, s_wait, "the watch is open");
        _api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"ratings","namespace":"books"},"spec":{"hosts":["ratings"]}}""");
        var added = await NextAsync(watch, 1);

        // Assert
        Assert.Equal("VirtualServiceList", list.GetProperty("kind").GetString());
        Assert.Equal("networking.istio.io/v1", list.GetProperty("apiVersion").GetString());
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.False(item.TryGetProperty("kind", out _));
        Assert.False(item.TryGetProperty("apiVersion", out _));
        Assert.Equal(100, item.GetProperty("spec").GetProperty("http")[0].GetProperty("route")[0].GetProperty("weight").GetInt32());
        Assert.Equal(WatchEventType.Added, added[0].Type);
        Assert.Equal("VirtualService", added[0].Object.GetProperty("kind").GetString());
        Assert.Equal("ratings", added[0].Object.GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public async Task VirtualServices_CrdNotInstalled_ListThrows404AndUninstallEndsOpenWatches()
    {
        // Arrange
        _api.Apply("""{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"ratings","namespace":"books"}}""");
        var watch = StartWatch<JsonElement, object>(_client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
            "networking.istio.io", "v1", "virtualservices", watch: true, cancellationToken: _timeout.Token));
        await NextAsync(watch, 1);

        // Act
        _api.UninstallCrd();
        var deleted = await NextAsync(watch, 1);
        await watch.Completion.WaitAsync(s_wait);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.ListClusterCustomObjectAsync(
            "networking.istio.io", "v1", "virtualservices", cancellationToken: _timeout.Token));
        var groupsWithDestinationRules = await _client.Apis.GetAPIVersionsAsync(_timeout.Token);
        _api.UninstallCrd("destinationrules");
        _api.UninstallCrd("gateways");
        _api.UninstallCrd("serviceentries");
        _api.UninstallCrd("sidecars");
        _api.UninstallCrd("envoyfilters");
        var groups = await _client.Apis.GetAPIVersionsAsync(_timeout.Token);
        _api.InstallCrd();
        var again = (JsonElement)await _client.CustomObjects.ListClusterCustomObjectAsync("networking.istio.io", "v1", "virtualservices", cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(WatchEventType.Deleted, deleted[0].Type);
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("\"reason\":\"NotFound\"", missing.Response.Content, StringComparison.Ordinal);
        Assert.Contains(groupsWithDestinationRules.Groups, group => group.Name == "networking.istio.io");
        Assert.DoesNotContain(groups.Groups, group => group.Name == "networking.istio.io");
        Assert.Contains(groups.Groups, group => group.Name == "discovery.k8s.io");
        Assert.Empty(again.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Discovery_CoreResources_ListsServedTypes()
    {
        // Act
        var versions = await _client.Core.GetAPIVersionsAsync(_timeout.Token);
        var core = await _client.CoreV1.GetAPIResourcesAsync(_timeout.Token);

        // Assert
        Assert.Equal(["v1"], versions.Versions);
        Assert.Equal(["services", "pods", "namespaces", "nodes", "secrets"], core.Resources.Select(resource => resource.Name));
    }

    [Fact]
    public async Task Apply_UnchangedObject_WritesNothing()
    {
        // Arrange
        _api.Apply(TwoServices);
        var revision = _api.ResourceVersion;

        // Act
        _api.Apply(TwoServices);
        var service = await _client.CoreV1.ReadNamespacedServiceAsync("reviews", "shop", cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(revision, _api.ResourceVersion);
        Assert.Equal(1, service.Metadata.Generation);
    }

    [Fact]
    public async Task ListSecrets_FieldSelector_ReturnsOnlyTheMatchingSecrets()
    {
        // Arrange
        _api.Apply(FourSecrets);

        // Act
        var istio = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: IstioSecretsSelector, cancellationToken: _timeout.Token);
        var tls = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: "type=kubernetes.io/tls", cancellationToken: _timeout.Token);
        var opaque = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: "type==Opaque", cancellationToken: _timeout.Token);
        var byName = await _client.CoreV1.ListNamespacedSecretAsync("shop", fieldSelector: "metadata.namespace=shop,metadata.name!=app-settings", cancellationToken: _timeout.Token);
        var elsewhere = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: "metadata.namespace=books", cancellationToken: _timeout.Token);

        // Assert: a Secret written without a type is Opaque, as the API server defaults it.
        Assert.Equal(["ingress-cert", "app-settings"], istio.Items.Select(secret => secret.Metadata.Name));
        Assert.Equal(["ingress-cert"], tls.Items.Select(secret => secret.Metadata.Name));
        Assert.Equal(["app-settings"], opaque.Items.Select(secret => secret.Metadata.Name));
        Assert.Equal(["default-token", "sh.helm.release.v1.shop.v1"], byName.Items.Select(secret => secret.Metadata.Name));
        Assert.Empty(elsewhere.Items);
        Assert.Equal(_api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), istio.Metadata.ResourceVersion);
        Assert.All(_api.Requests, request => Assert.Equal(200, request.StatusCode));
    }

    [Fact]
    public async Task ListSecrets_FieldSelectorWithLimit_PagesThroughMatchingSecretsOnlyWithoutARemainingCount()
    {
        // Arrange
        _api.Apply(FourSecrets);

        // Act
        var first = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: IstioSecretsSelector, limit: 1, cancellationToken: _timeout.Token);
        _api.Apply(TlsSecret("shop", "zzz-cert"));
        var second = await _client.CoreV1.ListSecretForAllNamespacesAsync(
            continueParameter: first.Metadata.ContinueProperty, fieldSelector: IstioSecretsSelector, limit: 1, cancellationToken: _timeout.Token);

        // Assert: the real server leaves remainingItemCount out when a selector filters the list.
        Assert.Equal(["ingress-cert"], first.Items.Select(secret => secret.Metadata.Name));
        Assert.NotNull(first.Metadata.ContinueProperty);
        Assert.Null(first.Metadata.RemainingItemCount);
        Assert.Equal(["app-settings"], second.Items.Select(secret => secret.Metadata.Name));
        Assert.Null(second.Metadata.ContinueProperty);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task ListSecrets_FieldSelectorAtAnExactOlderRevision_SelectsFromTheStateThen()
    {
        // Arrange
        _api.Apply(FourSecrets);
        var before = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: IstioSecretsSelector, cancellationToken: _timeout.Token);
        _api.Apply(TlsSecret("istio-system", "ingress-cert", "helm.sh/release.v1"));

        // Act
        var then = await _client.CoreV1.ListSecretForAllNamespacesAsync(
            fieldSelector: IstioSecretsSelector, resourceVersion: before.Metadata.ResourceVersion, resourceVersionMatch: "Exact", cancellationToken: _timeout.Token);
        var now = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: IstioSecretsSelector, cancellationToken: _timeout.Token);

        // Assert
        Assert.Equal(["ingress-cert", "app-settings"], then.Items.Select(secret => secret.Metadata.Name));
        Assert.Equal("kubernetes.io/tls", then.Items[0].Type);
        Assert.Equal(["app-settings"], now.Items.Select(secret => secret.Metadata.Name));
    }

    [Theory]
    [InlineData("services", "spec.clusterIP=10.0.0.1", "field label not supported: spec.clusterIP")]
    [InlineData("services", "type=Opaque", "field label not supported: type")]
    [InlineData("secrets", "metadata.name=ingress-cert,data.token!=", "field label not supported: data.token")]
    [InlineData("namespaces", "metadata.namespace=shop", "field label not supported: metadata.namespace")]
    [InlineData("endpointslices", "addressType=IPv4", "\"addressType\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")]
    [InlineData("virtualservices", "spec.hosts=reviews", "field label not supported: spec.hosts")]
    [InlineData("secrets", "type", "invalid selector: 'type'; can't understand 'type'")]
    public async Task List_FieldSelectorOnAnUnsupportedField_Throws400WithTheServersMessage(string resource, string selector, string message)
    {
        // Act
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => resource switch
        {
            "services" => _client.CoreV1.ListServiceForAllNamespacesAsync(fieldSelector: selector, cancellationToken: _timeout.Token),
            "secrets" => _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: selector, cancellationToken: _timeout.Token),
            "namespaces" => _client.CoreV1.ListNamespaceAsync(fieldSelector: selector, cancellationToken: _timeout.Token),
            "endpointslices" => _client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(fieldSelector: selector, cancellationToken: _timeout.Token),
            "virtualservices" => _client.CustomObjects.ListClusterCustomObjectAsync("networking.istio.io", "v1", "virtualservices", fieldSelector: selector, cancellationToken: _timeout.Token),
            _ => throw new ArgumentOutOfRangeException(nameof(resource)),
        });

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        using var status = JsonDocument.Parse(refused.Response.Content);
        Assert.Equal("BadRequest", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal(message, status.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task WatchSecrets_FieldSelectorOnAnUnsupportedField_Throws400()
    {
        // Act
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(
            fieldSelector: "spec.nodeName=node-1", watch: true, cancellationToken: _timeout.Token));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Contains("field label not supported: spec.nodeName", refused.Response.Content, StringComparison.Ordinal);
        Assert.Equal(0, _api.WatchCount("secrets"));
    }

    [Fact]
    public async Task WatchSecrets_FieldSelector_SendsOnlyMatchingSecrets_AndATypeChangeAsDeletedThenAdded()
    {
        // Arrange
        var list = await _client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: IstioSecretsSelector, cancellationToken: _timeout.Token);
        var watch = StartWatch<V1Secret, V1SecretList>(_client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, fieldSelector: IstioSecretsSelector, resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: _timeout.Token));
        await Eventually.TrueAsync(() => _api.WatchCount("secrets") == 1, s_wait, "the watch is open");

        // Act: a Helm release never shows; the certificate leaves the selection and comes back.
        _api.Apply(FourSecrets);
        var left = _api.Apply(TlsSecret("istio-system", "ingress-cert", "helm.sh/release.v1")).Single();
        _api.Apply(TlsSecret("istio-system", "ingress-cert"));
        _api.Apply(TlsSecret("shop", "sh.helm.release.v1.shop.v1", "helm.sh/release.v1"));
        Assert.True(_api.Delete("Secret", "shop", "default-token"));
        _api.SendBookmarks();
        var events = await NextAsync(watch, 5);
        var replay = StartWatch<V1Secret, V1SecretList>(_client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(
            fieldSelector: IstioSecretsSelector, resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: _timeout.Token));
        var replayed = await NextAsync(replay, 4);

        // Assert: leaving is DELETED with the Secret as it last matched, at the change's revision.
        (WatchEventType, string?, string?)[] expected =
        [
            (WatchEventType.Added, "ingress-cert", "kubernetes.io/tls"),
            (WatchEventType.Added, "app-settings", null),
            (WatchEventType.Deleted, "ingress-cert", "kubernetes.io/tls"),
            (WatchEventType.Added, "ingress-cert", "kubernetes.io/tls"),
        ];
        Assert.Equal([.. expected, (WatchEventType.Bookmark, null, null)], events.Select(change => (change.Type, (string?)change.Object.Metadata.Name, (string?)change.Object.Type)));
        Assert.Equal((string?)left["metadata"]!["resourceVersion"], events[2].Object.Metadata.ResourceVersion);
        Assert.Equal(expected, replayed.Select(change => (change.Type, (string?)change.Object.Metadata.Name, (string?)change.Object.Type)));
        Assert.Empty(watch.Errors);
        var request = _api.Requests.First(request => request.IsWatch);
        Assert.Contains("fieldSelector=" + IstioSecretsSelector, request.Query.Select(Uri.UnescapeDataString));
    }

    [Fact]
    public async Task WatchSecrets_FieldSelectorWithoutResourceVersion_StartsWithAddedForMatchingSecretsOnly()
    {
        // Arrange
        _api.Apply(FourSecrets);

        // Act
        var watch = StartWatch<V1Secret, V1SecretList>(_client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: true, fieldSelector: "type!=Opaque,metadata.namespace==shop", watch: true, cancellationToken: _timeout.Token));
        var initial = await NextAsync(watch, 2);
        _api.SendBookmarks();
        var next = await NextAsync(watch, 1);

        // Assert
        Assert.Equal(
            [(WatchEventType.Added, "default-token"), (WatchEventType.Added, "sh.helm.release.v1.shop.v1")],
            initial.Select(change => (change.Type, change.Object.Metadata.Name)));
        Assert.Equal(WatchEventType.Bookmark, next[0].Type);
    }

    private k8s.Kubernetes ClientFor(FakeKubernetesApi api, string? token = null)
    {
        var path = Path.Combine(_directory.Path, Guid.NewGuid().ToString("N") + ".kubeconfig");
        api.WriteKubeconfig(path, token);
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
    }

    private static string TlsSecret(string @namespace, string name, string type = "kubernetes.io/tls") =>
        $"apiVersion: v1\nkind: Secret\ntype: {type}\nmetadata: {{name: {name}, namespace: {@namespace}}}\ndata: {{tls.crt: Y2VydA==, tls.key: a2V5}}";

    private static string Describe(FakeKubernetesRequest request) => $"{request.Method} {request.PathAndQuery} {request.StatusCode}";

    private static WatchRecording<T> StartWatch<T, TList>(Task<HttpOperationResponse<TList>> response)
    {
        var recording = new WatchRecording<T>();
        recording.Completion = Task.Run(async () =>
        {
            try
            {
#pragma warning disable CS0618 // KubernetesClient marks WatchAsync obsolete but it is still its documented way to watch.
                await foreach (var (type, value) in response.WatchAsync<T, TList>(recording.Errors.Enqueue))
#pragma warning restore CS0618
                {
                    recording.Events.Writer.TryWrite((type, value));
                }
            }
            finally
            {
                recording.Events.Writer.TryComplete();
            }
        });
        return recording;
    }

    private static async Task<IReadOnlyList<(WatchEventType Type, T Object)>> NextAsync<T>(WatchRecording<T> recording, int count)
    {
        using var timeout = new CancellationTokenSource(s_wait);
        var events = new List<(WatchEventType, T)>();
        while (events.Count < count)
        {
            events.Add(await recording.Events.Reader.ReadAsync(timeout.Token));
        }

        return events;
    }

    private sealed class WatchRecording<T>
    {
        public Channel<(WatchEventType Type, T Object)> Events { get; } = Channel.CreateUnbounded<(WatchEventType, T)>();

        public ConcurrentQueue<Exception> Errors { get; } = new();

        public Task Completion { get; set; } = Task.CompletedTask;
    }
}
