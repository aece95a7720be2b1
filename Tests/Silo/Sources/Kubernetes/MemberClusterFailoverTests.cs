using System.Diagnostics;
using Mesh.Orleans.Grains;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Silo.Sources.Kubernetes;

/// <summary>
/// One member cluster kept by the keepers of two silos: exactly one watch in the whole Orleans
/// cluster, wherever it runs, and when its silo stops or dies the watch starts again on the other
/// silo and lists first, so no change made while it was down is lost.
/// </summary>
/// <remarks>
/// Each test gets its own <see cref="InProcessTestCluster"/> (its silos configured by a closure over
/// the test's kubeconfig, so no state is shared between tests). It is used rather than the classic
/// <c>TestCluster</c>, whose Development membership table lives in the primary silo: stopping the
/// primary, which may well be the one running the watch, would take the membership down with it.
/// Here the membership table and the grain directory live outside the silos, as in production.
/// Its <c>KillSiloAsync</c> stops the host with a cancelled token: grains get no orderly
/// deactivation, but the dying silo still marks itself Dead, so the probe-based detection of a
/// silo that vanishes without a word is not what the kill case times.
/// </remarks>
public sealed class MemberClusterFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ClusterId = "east";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_keeperInterval = TimeSpan.FromMilliseconds(200);
    private readonly TempDirectory _files = new();
    private FakeKubernetesApi? _api;
    private InProcessTestCluster? _cluster;
    private WatchCountSampler? _sampler;

    private FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not initialised");

    private InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not initialised");

    private WatchCountSampler Sampler => _sampler ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        var kubeconfig = Path.Combine(_files.Path, "east.kubeconfig");
        _api.WriteKubeconfig(kubeconfig);
        _api.Apply(MeshYaml.Service("echo", 7000, "shop"));
        _api.Apply(MeshYaml.Service("gone", 7001, "shop"));

        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => ConfigureSilo(silo, new MemberClusterSpec(ClusterId, kubeconfig, null, null, null)));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        _sampler = new WatchCountSampler(_api, "services");
    }

    public async Task DisposeAsync()
    {
        if (_sampler is not null)
        {
            await _sampler.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        _files.Dispose();
    }

    [Fact]
    public async Task TwoSilosKeepingOneMemberCluster_RunExactlyOneWatch_OnTheSiloTheStatusNames()
    {
        // Arrange
        await WaitForOneWatchAsync();
        var opened = ServiceWatchesOpened();

        // Act: an observation window, not an ordering wait: each keeper asks at least five times
        // in it, and none of those asks may open a second watch or reopen this one.
        await Task.Delay(s_keeperInterval * 5);

        // Assert
        Assert.Equal(1, Api.WatchCount("services"));
        Assert.Equal(opened, ServiceWatchesOpened());
        Assert.Equal(1, Sampler.Max);
        var status = await Cluster.Client.GetGrain<IMemberClusterGrain>(ClusterId).GetStatusAsync();
        Assert.NotNull(status);
        Assert.True(status.Connected);
        Assert.Contains(status.Host, Cluster.Silos.Select(s => s.SiloAddress.ToString()));
        Assert.Equal(["echo.shop.svc.cluster.local", "gone.shop.svc.cluster.local"], await HostnamesAsync());
    }

    [Fact]
    public Task WatchingSiloStopped_WatchResumesOnTheOtherSilo_WithEveryChangeMadeWhileItWasDown() =>
        FailOverAsync("stopped", silo => Cluster.StopSiloAsync(silo));

    [Fact]
    public Task WatchingSiloKilled_WatchResumesOnTheOtherSilo_WithEveryChangeMadeWhileItWasDown() =>
        FailOverAsync("killed", silo => Cluster.KillSiloAsync(silo));

    /// <summary>
    /// Takes the watching silo down with <paramref name="takeDown"/>, changes the API while no one
    /// watches it, and checks that the other silo watches now, once, and has missed nothing.
    /// </summary>
    private async Task FailOverAsync(string how, Func<InProcessSiloHandle, Task> takeDown)
    {
        // Arrange
        var watching = await WatchingSiloAsync();
        var survivor = Cluster.Silos.Single(s => s != watching);

        // Act
        var clock = Stopwatch.StartNew();
        await takeDown(watching);
        var down = clock.Elapsed;
        Api.Apply(MeshYaml.Service("added", 7002, "shop"));
        Assert.True(Api.Delete("Service", "shop", "gone"));

        // Assert
        await Eventually.TrueAsync(async () => (await AfterFailoverAsync(HostnamesAsync))?.SequenceEqual(["added.shop.svc.cluster.local", "echo.shop.svc.cluster.local"]) == true, s_wait,
            "the hostnames show the Service added and the one deleted while the watch was down");
        await WaitForOneWatchAsync();
        var resumed = clock.Elapsed;
        MemberClusterStatus? status = null;
        await Eventually.TrueAsync(async () => (status = await AfterFailoverAsync(Cluster.Client.GetGrain<IMemberClusterGrain>(ClusterId).GetStatusAsync)) is not null, s_wait,
            "the watcher's status can be read");
        output.WriteLine($"silo {how} in {down.TotalMilliseconds:0} ms; watching again, changes applied, {resumed.TotalMilliseconds:0} ms after it began; most watches of services open at once: {Sampler.Max}");
        Assert.Equal(survivor.SiloAddress.ToString(), status?.Host);
        Assert.Equal(1, Sampler.Max);
    }

    private static void ConfigureSilo(ISiloBuilder silo, MemberClusterSpec spec)
    {
        silo.AddMemoryGrainStorage(GrainStorage.Mesh);
        silo.Configure<ClusterMembershipOptions>(membership =>
        {
            // A silo that dies without saying so is voted dead in about a second rather than
            // minutes. (An in-process kill still marks itself Dead in the table on the way out.)
            membership.ProbeTimeout = TimeSpan.FromMilliseconds(500);
            membership.NumMissedProbesLimit = 1;
            membership.TableRefreshTimeout = TimeSpan.FromMilliseconds(500);
            membership.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(5);
            membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
        });
        silo.Services.AddSingleton<IClusterConfigSink, GrainClusterConfigSink>();
        silo.Services.AddSingleton(TimeProvider.System);
        silo.Services.AddOptions<KubernetesSourceOptions>().Configure(options =>
        {
            options.KeeperInterval = s_keeperInterval;
            options.DebounceQuiet = TimeSpan.FromMilliseconds(20);
            options.DebounceMax = TimeSpan.FromMilliseconds(500);
            options.MinRetryDelay = TimeSpan.FromMilliseconds(50);
            options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        }).ValidateDataAnnotations();
        silo.Services.AddSingleton(new MemberClusters([spec], readsDirectory: false));
        silo.Services.AddHostedService<MemberClusterKeeper>();
    }

    /// <summary>Waits for the one watch to be up and the first declaration applied; returns the silo running it.</summary>
    private async Task<InProcessSiloHandle> WatchingSiloAsync()
    {
        await WaitForOneWatchAsync();
        await Eventually.TrueAsync(async () => (await HostnamesAsync()).Count == 2, s_wait, "the first declaration is applied");
        var status = await Cluster.Client.GetGrain<IMemberClusterGrain>(ClusterId).GetStatusAsync();
        Assert.NotNull(status);
        return Cluster.Silos.Single(s => s.SiloAddress.ToString() == status.Host);
    }

    private Task WaitForOneWatchAsync() =>
        Eventually.TrueAsync(() => Api.WatchCount("services") == 1, s_wait, "one watch of services is open");

    private int ServiceWatchesOpened() => Api.Requests.Count(r => r.Path == "/api/v1/services" && r.IsWatch);

    private Task<IReadOnlyList<string>> HostnamesAsync() => Cluster.Client.GetGrain<IClusterGrain>(ClusterId).GetHostnamesAsync();

    /// <summary>
    /// A call from the test's client while it may still think the downed silo alive: a request
    /// that went to a killed silo is never answered (Orleans would wait its 30 s response
    /// timeout), so each try is bounded and a lost or refused one means "not yet".
    /// </summary>
    private static async Task<T?> AfterFailoverAsync<T>(Func<Task<T>> call)
        where T : class?
    {
        try
        {
            return await call().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception exception) when (exception is TimeoutException or SiloUnavailableException)
        {
            return null;
        }
    }

    /// <summary>Samples a watch count on its own until disposed, keeping the largest value seen.</summary>
    private sealed class WatchCountSampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private int _max;

        public WatchCountSampler(FakeKubernetesApi api, string resource) => _sampling = SampleAsync(api, resource, _stop.Token);

        public int Max => Volatile.Read(ref _max);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            _stop.Dispose();
        }

        private async Task SampleAsync(FakeKubernetesApi api, string resource, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var count = api.WatchCount(resource);
                if (count > _max)
                {
                    Volatile.Write(ref _max, count);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
