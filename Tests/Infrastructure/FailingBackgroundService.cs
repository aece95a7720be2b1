using Microsoft.Extensions.Hosting;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A background service that fails soon after the host started, as a broken source would.</summary>
public sealed class FailingBackgroundService : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        throw new InvalidOperationException("the test service broke");
    }
}
