using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Orleans.Tests.Silo.Sources.Kubernetes;

/// <summary>
/// A stopped <see cref="KubernetesSource"/> leaves no watch open on the API server, even one that
/// had not received its first line yet (KubernetesClient alone leaves those open).
/// </summary>
public sealed class WatchAbortHandlerTests : IAsyncLifetime
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private static readonly string[] s_resources = ["namespaces", "nodes", "services", "endpointslices", "pods", "virtualservices", "destinationrules", "gateways", "serviceentries"];
    private readonly TempDirectory _files = new();
    private FakeKubernetesApi? _api;

    private FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync() =>
        // No bookmark unless a test sends one: a watch from the current version then gets no first line.
        _api = await FakeKubernetesApi.StartAsync(new FakeKubernetesApiOptions { BookmarkInterval = Timeout.InfiniteTimeSpan });

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        _files.Dispose();
    }

    [Fact]
    public async Task SourceStopped_BeforeAnyWatchGotItsFirstLine_LeavesNoWatchOpen()
    {
        // Arrange
        using var stop = new CancellationTokenSource();
        var running = StartSource(stop.Token);
        await Eventually.TrueAsync(() => s_resources.All(r => Api.WatchCount(r) == 1), s_wait, "every kind is watched");

        // Act
        await stop.CancelAsync();
        await running.WaitAsync(s_wait);

        // Assert
        await Eventually.TrueAsync(() => s_resources.All(r => Api.WatchCount(r) == 0), s_wait, "no watch is left open");
    }

    private Task StartSource(CancellationToken cancellationToken)
    {
        var kubeconfig = _files.Write("east.kubeconfig", Api.Kubeconfig);
        var source = new KubernetesSource(new MemberClusterSpec("east", kubeconfig, null, null, null), new RecordingConfigSink(),
            new KubernetesSourceOptions(), TimeProvider.System, NullLogger.Instance);
        return Task.Run(() => source.RunAsync(cancellationToken), CancellationToken.None);
    }
}
