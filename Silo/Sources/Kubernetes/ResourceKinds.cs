using k8s;
using k8s.Models;

namespace Mesh.Orleans.Silo.Sources.Kubernetes;

/// <summary>The kinds the mesh reads from a member cluster's API, in the order they are listed at start.</summary>
public static class ResourceKinds
{
    /// <summary>
    /// The field selector Secrets are listed and watched with: every type but Helm releases and
    /// service-account tokens, two kinds of Secret that are common, large and never a credential.
    /// It is Istio's <c>SecretsFieldSelector</c> (<c>pilot/pkg/credentials/kube/secrets.go</c>), a
    /// best-effort saving only: <c>SecretParser</c> ignores both types anyway, as it must for the
    /// YAML directory, which has no API server to filter for it.
    /// </summary>
    public const string SecretsFieldSelector = "type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token";

    /// <summary>Namespaces, Nodes, Services, EndpointSlices, Pods, Secrets (all but the types <see cref="SecretsFieldSelector"/> leaves out; those holding TLS credentials are kept, the rest ignored) and Istio VirtualServices, DestinationRules, Gateways, ServiceEntries, Sidecars and EnvoyFilters, and PeerAuthentications and AuthorizationPolicies.</summary>
    public static IReadOnlyList<ResourceKind> All { get; } =
    [
        new TypedResourceKind<V1Namespace, V1NamespaceList>("v1", "Namespace",
            (c, ct) => c.CoreV1.ListNamespaceAsync(cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new TypedResourceKind<V1Node, V1NodeList>("v1", "Node",
            (c, ct) => c.CoreV1.ListNodeAsync(cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new TypedResourceKind<V1Service, V1ServiceList>("v1", "Service",
            (c, ct) => c.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new TypedResourceKind<V1EndpointSlice, V1EndpointSliceList>("discovery.k8s.io/v1", "EndpointSlice",
            (c, ct) => c.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new TypedResourceKind<V1Pod, V1PodList>("v1", "Pod",
            (c, ct) => c.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new TypedResourceKind<V1Secret, V1SecretList>("v1", "Secret",
            (c, ct) => c.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: SecretsFieldSelector, cancellationToken: ct),
            (c, rv, timeout, error, ct) => c.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, fieldSelector: SecretsFieldSelector, resourceVersion: rv, timeoutSeconds: timeout, onError: error, cancellationToken: ct)),
        new CustomResourceKind("networking.istio.io", "v1", "virtualservices", "VirtualService"),
        new CustomResourceKind("networking.istio.io", "v1", "destinationrules", "DestinationRule"),
        new CustomResourceKind("networking.istio.io", "v1", "gateways", "Gateway"),
        new CustomResourceKind("networking.istio.io", "v1", "serviceentries", "ServiceEntry"),
        new CustomResourceKind("networking.istio.io", "v1", "sidecars", "Sidecar"),
        new CustomResourceKind("networking.istio.io", "v1alpha3", "envoyfilters", "EnvoyFilter"),
        new CustomResourceKind("security.istio.io", "v1", "peerauthentications", "PeerAuthentication"),
        new CustomResourceKind("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy"),
    ];
}
