namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>The resource types the fake API server knows, core and custom.</summary>
public static class KubernetesResourceTypes
{
    /// <summary>Core <c>v1</c> Service.</summary>
    public static readonly KubernetesResourceType Services = new("", "v1", "services", "Service", Namespaced: true, IsCustom: false);

    /// <summary>Core <c>v1</c> Pod.</summary>
    public static readonly KubernetesResourceType Pods = new("", "v1", "pods", "Pod", Namespaced: true, IsCustom: false);

    /// <summary>Core <c>v1</c> Secret.</summary>
    public static readonly KubernetesResourceType Secrets = new("", "v1", "secrets", "Secret", Namespaced: true, IsCustom: false);

    /// <summary>Core <c>v1</c> Namespace (cluster-scoped).</summary>
    public static readonly KubernetesResourceType Namespaces = new("", "v1", "namespaces", "Namespace", Namespaced: false, IsCustom: false);

    /// <summary>Core <c>v1</c> Node (cluster-scoped).</summary>
    public static readonly KubernetesResourceType Nodes = new("", "v1", "nodes", "Node", Namespaced: false, IsCustom: false);

    /// <summary><c>discovery.k8s.io/v1</c> EndpointSlice.</summary>
    public static readonly KubernetesResourceType EndpointSlices = new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", Namespaced: true, IsCustom: false);

    /// <summary>Istio's <c>networking.istio.io/v1</c> VirtualService, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType VirtualServices = new("networking.istio.io", "v1", "virtualservices", "VirtualService", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>networking.istio.io/v1</c> DestinationRule, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType DestinationRules = new("networking.istio.io", "v1", "destinationrules", "DestinationRule", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>networking.istio.io/v1</c> Gateway, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType Gateways = new("networking.istio.io", "v1", "gateways", "Gateway", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>networking.istio.io/v1</c> ServiceEntry, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType ServiceEntries = new("networking.istio.io", "v1", "serviceentries", "ServiceEntry", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>networking.istio.io/v1</c> Sidecar, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType Sidecars = new("networking.istio.io", "v1", "sidecars", "Sidecar", Namespaced: true, IsCustom: true);

    /// <summary>networking.istio.io/v1alpha3 EnvoyFilters (the only version Istio serves them in).</summary>
    public static readonly KubernetesResourceType EnvoyFilters = new("networking.istio.io", "v1alpha3", "envoyfilters", "EnvoyFilter", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>security.istio.io/v1</c> PeerAuthentication, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType PeerAuthentications = new("security.istio.io", "v1", "peerauthentications", "PeerAuthentication", Namespaced: true, IsCustom: true);

    /// <summary>Istio's <c>security.istio.io/v1</c> AuthorizationPolicy, a custom resource whose CRD may be missing.</summary>
    public static readonly KubernetesResourceType AuthorizationPolicies = new("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", Namespaced: true, IsCustom: true);

    /// <summary>Every known type, core group first.</summary>
    public static IReadOnlyList<KubernetesResourceType> All { get; } = [Services, Pods, Namespaces, Nodes, Secrets, EndpointSlices, VirtualServices, DestinationRules, Gateways, ServiceEntries,
        Sidecars, EnvoyFilters, PeerAuthentications, AuthorizationPolicies];

    /// <summary>The type served at <paramref name="group"/>/<paramref name="version"/>/<paramref name="resource"/>, if any.</summary>
    public static KubernetesResourceType? FindByPath(string group, string version, string resource) =>
        All.FirstOrDefault(type => type.Group == group && type.Version == version && type.Resource == resource);

    /// <summary>
    /// The type of an object with <paramref name="kind"/> and, when given, <paramref name="apiVersion"/>.
    /// </summary>
    public static KubernetesResourceType? FindByKind(string? apiVersion, string kind) =>
        All.FirstOrDefault(type => type.Kind == kind && (string.IsNullOrEmpty(apiVersion) || type.ApiVersion == apiVersion));

    /// <summary>The type whose plural resource name is <paramref name="resource"/>, if any.</summary>
    public static KubernetesResourceType? FindByResource(string resource) =>
        All.FirstOrDefault(type => type.Resource == resource);
}
