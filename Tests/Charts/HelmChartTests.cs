using k8s;
using k8s.Models;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Charts;

/// <summary>
/// The Helm chart (<c>charts/mesh-orleans</c>), checked with a real <c>helm</c> (lint and
/// template, with the default values and the chart's <c>ci/*-values.yaml</c>) and every rendered
/// manifest read with KubernetesClient's models; no cluster is needed. The checks follow the
/// product: the RBAC rules are compared with the kinds the Kubernetes source reads, the flags
/// with the command line, the probes with the debug port's endpoints.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class HelmChartTests
{
    private static readonly string s_chart = Path.Combine(RepositoryRoot(), "charts", "mesh-orleans");

    [Theory]
    [InlineData(null)]
    [InlineData("ci/production-values.yaml")]
    [InlineData("ci/minimal-values.yaml")]
    public async Task TheChart_Lints(string? values)
    {
        var (code, stdout, stderr) = await HelmTool.RunAsync(["lint", s_chart, "--strict", .. ValuesArgs(values)]);

        Assert.True(code == 0, $"helm lint failed: {stdout} {stderr}");
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefaultValues_RenderSilosFrontendsRedisAndTheirPolicies_AsKubernetesObjects()
    {
        var objects = await RenderAsync(null);

        var silo = Deployment(objects, "demo-mesh-orleans-silo");
        var frontend = Deployment(objects, "demo-mesh-orleans-frontend");
        Assert.NotNull(Deployment(objects, "demo-mesh-orleans-redis"));
        Assert.Equal(2, silo.Spec.Replicas);
        Assert.Null(frontend.Spec.Replicas); // the autoscaler decides

        // Silos: Orleans' Kubernetes hosting gets the pod's name, namespace and IP from the downward API, and its ids.
        var siloPod = silo.Spec.Template;
        Assert.Equal("mesh-orleans", siloPod.Metadata.Labels["orleans/serviceId"]);
        Assert.Equal("mesh-orleans", siloPod.Metadata.Labels["orleans/clusterId"]);
        var container = Assert.Single(siloPod.Spec.Containers);
        Assert.Equal(
            [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP")],
            container.Env.Where(e => e.ValueFrom?.FieldRef is not null).Select(e => (e.Name, e.ValueFrom.FieldRef.FieldPath)));
        Assert.Equal("mesh-orleans", container.Env.Single(e => e.Name == "ORLEANS_SERVICE_ID").Value);
        Assert.Equal("demo-mesh-orleans-redis:6379", Flag(container, "--redis"));
        Assert.Equal("$(POD_IP)", Flag(container, "--advertise-address"));
        Assert.Equal("silo", Flag(container, "--role"));
        Assert.Equal(("/healthz", "/ready"), (container.LivenessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Path));

        // Frontends: xDS 15010 and debug 15014 behind one Service.
        var frontendContainer = Assert.Single(frontend.Spec.Template.Spec.Containers);
        Assert.Equal("frontend", Flag(frontendContainer, "--role"));
        Assert.Equal("0.0.0.0", Flag(frontendContainer, "--xds-address"));
        var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == "demo-mesh-orleans");
        Assert.Equal([("grpc-xds", 15010), ("grpc-xds-tls", 15012), ("http-debug", 15014)], service.Spec.Ports.Select(p => (p.Name, p.Port)));
        Assert.Equal("frontend", service.Spec.Selector["app.kubernetes.io/component"]);
        var autoscaler = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Equal("demo-mesh-orleans-frontend", autoscaler.Spec.ScaleTargetRef.Name);
        Assert.Equal(2, objects.OfType<V1PodDisruptionBudget>().Count());

        // Every Deployment's selector picks its own pods.
        Assert.All(objects.OfType<V1Deployment>(), d => Assert.All(d.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, d.Spec.Template.Metadata.Labels[l.Key])));
    }

    [Fact]
    public async Task TheClusterRole_GrantsReadingExactlyTheKindsTheKubernetesSourceReads_AndCreatingTokenReviews()
    {
        var objects = await RenderAsync(null);

        var role = Assert.Single(objects.OfType<V1ClusterRole>());
        var reviews = Assert.Single(role.Rules, r => r.ApiGroups.Contains("authentication.k8s.io"));
        Assert.Equal(["tokenreviews"], reviews.Resources);
        Assert.Equal(["create"], reviews.Verbs);
        var reads = role.Rules.Where(r => r != reviews).ToList();
        Assert.All(reads, r => Assert.Equal(["get", "list", "watch"], r.Verbs));
        var granted = reads.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(resource => (Group: g, Resource: resource)))).Order().ToList();
        var read = ResourceKinds.All.Select(k => k is CustomResourceKind custom
            ? (Group: k.ApiVersion.Split('/')[0], Resource: custom.Plural)
            : (Group: k.ApiVersion.Contains('/', StringComparison.Ordinal) ? k.ApiVersion.Split('/')[0] : string.Empty, Resource: k.Kind.ToLowerInvariant() + "s")).Order().ToList();
        Assert.Equal(read, granted);
        var binding = Assert.Single(objects.OfType<V1ClusterRoleBinding>());
        Assert.Equal(("ServiceAccount", "demo-mesh-orleans", "mesh"), (binding.Subjects[0].Kind, binding.Subjects[0].Name, binding.Subjects[0].NamespaceProperty));
    }

    [Fact]
    public async Task ProductionValues_UseTheirRedisAndClustersSecret_AndALoadBalancer()
    {
        var objects = await RenderAsync("ci/production-values.yaml");

        Assert.DoesNotContain(objects.OfType<V1Deployment>(), d => d.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
        var silo = Deployment(objects, "demo-mesh-orleans-silo");
        var container = Assert.Single(silo.Spec.Template.Spec.Containers);
        Assert.Equal("redis.infra.svc.cluster.local:6379,password=from-a-secret-in-real-life", Flag(container, "--redis"));
        Assert.Equal("mesh-prod", Flag(container, "--service-id"));
        Assert.Equal("/etc/mesh-orleans/clusters/clusters.yaml", Flag(container, "--clusters"));
        Assert.Equal("mesh-member-clusters", silo.Spec.Template.Spec.Volumes.Single().Secret.SecretName);
        Assert.Equal(3, silo.Spec.Replicas);
        Assert.Equal(4, Deployment(objects, "demo-mesh-orleans-frontend").Spec.Replicas);
        Assert.Empty(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Equal("LoadBalancer", objects.OfType<V1Service>().Single().Spec.Type);
    }

    [Fact]
    public async Task MinimalValues_LeaveRbacToTheOperator_AndKeepRedisOnItsClaim()
    {
        var objects = await RenderAsync("ci/minimal-values.yaml");

        Assert.Empty(objects.OfType<V1ClusterRole>());
        Assert.Empty(objects.OfType<V1ServiceAccount>());
        Assert.Equal("mesh-orleans", Deployment(objects, "demo-mesh-orleans-silo").Spec.Template.Spec.ServiceAccountName);
        Assert.Equal("mesh-redis-data", Deployment(objects, "demo-mesh-orleans-redis").Spec.Template.Spec.Volumes.Single().PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public async Task NoRedisAtAll_IsRefusedWithTheReason()
    {
        var (code, _, stderr) = await HelmTool.RunAsync("template", "demo", s_chart, "--set", "redis.deploy=false");

        Assert.NotEqual(0, code);
        Assert.Contains("redis.address is required when redis.deploy is false", stderr, StringComparison.Ordinal);
    }

    private static async Task<List<object>> RenderAsync(string? values)
    {
        var (code, stdout, stderr) = await HelmTool.RunAsync(["template", "demo", s_chart, "--namespace", "mesh", .. ValuesArgs(values)]);
        Assert.True(code == 0, $"helm template failed: {stderr}");

        // Every document is a Kubernetes object KubernetesClient knows by its apiVersion and kind.
        var objects = KubernetesYaml.LoadAllFromString(stdout);
        Assert.NotEmpty(objects);
        Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o));
        Assert.All(objects.Cast<IKubernetesObject<V1ObjectMeta>>(), o => Assert.False(string.IsNullOrEmpty(o.Metadata.Name)));
        return objects;
    }

    private static string[] ValuesArgs(string? values) => values is null ? [] : ["-f", Path.Combine(s_chart, values)];

    private static V1Deployment Deployment(List<object> objects, string name) => objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == name);

    private static string Flag(V1Container container, string flag)
    {
        var index = container.Args.IndexOf(flag);
        Assert.True(index >= 0 && index + 1 < container.Args.Count, $"{container.Name} has {flag} and its value");
        return container.Args[index + 1];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Mesh.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
