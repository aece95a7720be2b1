using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Orleans.Tests.Silo.Sources.Kubernetes;

/// <summary>
/// What a <see cref="KubernetesSource"/> hands the mesh for a watch event: the objects the event
/// touches, not the cluster's declaration. Checked on the messages themselves (a recording sink
/// that also checks the protocol), against a fake API server holding many Services.
/// </summary>
public sealed class KubernetesSourceChangesTests : IAsyncLifetime
{
    private const int Services = 200;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _files = new();
    private readonly RecordingConfigSink _sink = new();
    private FakeKubernetesApi? _api;

    private FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        _files.Dispose();
    }

    [Fact]
    public async Task OneWatchEvent_HandsOverOnlyTheObjectItTouches_AndARelistHandsOverOnlyWhatDiffers()
    {
        // Arrange: a cluster of 200 Services with their slices, read and handed over once, whole.
        for (var i = 0; i < Services; i++)
        {
            Api.Apply(MeshYaml.Service($"svc-{i}", 8080, "shop"));
            Api.Apply(MeshYaml.Slice($"svc-{i}-1", $"svc-{i}", 8080, [($"127.0.1.{i % 250}", true)], "shop"));
        }

        using var stop = new CancellationTokenSource();
        var running = Run(stop.Token);
        await Eventually.TrueAsync(() => _sink.Last?.EndpointSlices.Count == Services, s_wait, "the listed cluster is handed over");
        var first = Assert.Single(_sink.Messages);
        Assert.True(first.Full);

        // Act 1: one endpoint moves.
        Api.Apply(MeshYaml.Slice("svc-7-1", "svc-7", 8080, [("127.0.2.7", true)], "shop"));
        await Eventually.TrueAsync(() => _sink.Messages.Count == 2, s_wait, "the change is handed over");

        // Assert 1: that slice, and nothing else.
        var change = _sink.Messages[1];
        Assert.False(change.Full);
        Assert.Equal(("svc-7-1", "127.0.2.7"), (Assert.Single(change.EndpointSlices).Name, change.EndpointSlices[0].Endpoints.Single().Addresses.Single()));
        Assert.Empty(change.Services);
        Assert.Empty(change.Deleted);

        // Act 2: one Service deleted.
        Api.Delete("Service", "shop", "svc-9");
        await Eventually.TrueAsync(() => _sink.Messages.Count == 3, s_wait, "the deletion is handed over");
        Assert.Equal([new MeshObjectKey("Service", "shop", "svc-9")], _sink.Messages[2].Deleted);
        Assert.Equal(0, _sink.Messages[2].Services.Count + _sink.Messages[2].EndpointSlices.Count);

        // Act 3: a deletion while the API is down, its event compacted away: a 410, every kind listed again.
        Api.SetDown(true);
        Api.DeleteSilently("Service", "shop", "svc-11");
        Api.Compact();
        Api.ClearRequests();
        Api.SetDown(false);
        await Eventually.TrueAsync(() => _sink.Messages.Count == 4, s_wait, "the relist is handed over");

        // Assert 3: the relist handed over what differs, the missed deletion, and not the 198 objects that did not change.
        Assert.Contains(Api.Requests, r => r.Path == "/api/v1/services" && !r.IsWatch && r.StatusCode == 200);
        Assert.Equal([new MeshObjectKey("Service", "shop", "svc-11")], _sink.Messages[3].Deleted);
        Assert.Equal(0, _sink.Messages[3].Services.Count + _sink.Messages[3].EndpointSlices.Count);
        Assert.Equal(Services - 2, _sink.Last!.Services.Count);

        await stop.CancelAsync();
        await running.WaitAsync(s_wait);
    }

    private Task Run(CancellationToken cancellationToken)
    {
        var kubeconfig = _files.Write("east.kubeconfig", Api.Kubeconfig);
        var options = new KubernetesSourceOptions { DebounceQuiet = TimeSpan.FromMilliseconds(20) };
        var source = new KubernetesSource(new MemberClusterSpec("east", kubeconfig, null, null, null), _sink, options, TimeProvider.System, NullLogger.Instance);
        return Task.Run(() => source.RunAsync(cancellationToken), CancellationToken.None);
    }
}
