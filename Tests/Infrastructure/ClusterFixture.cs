using Mesh.Orleans.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A real one-silo Orleans cluster (TestCluster) with the grains' storage, shared by a test class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<SiloConfigurator>().Build();

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddMemoryGrainStorage(GrainStorage.Mesh);
            siloBuilder.Services.AddSingleton(TimeProvider.System);
        }
    }
}
