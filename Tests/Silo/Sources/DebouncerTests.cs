using Mesh.Orleans.Silo.Sources;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class DebouncerTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task WaitForBurst_EndsAfterTheQuietPeriod_CoalescingTheBurst()
    {
        var time = new FakeTimeProvider();
        var debouncer = new Debouncer(s_quiet, s_max, time);
        debouncer.Signal();
        var burst = debouncer.WaitForBurstAsync(CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            await AdvanceWhenWaitingAsync(time, TimeSpan.FromMilliseconds(50));
            debouncer.Signal();
        }

        Assert.False(burst.IsCompleted);
        await AdvanceWhenWaitingAsync(time, s_quiet);
        Assert.True(await burst.WaitAsync(TimeSpan.FromSeconds(5)) >= 2);
    }

    [Fact]
    public async Task WaitForBurst_ASteadyTrickle_EndsAtTheMaximumDelay()
    {
        var time = new FakeTimeProvider();
        var debouncer = new Debouncer(s_quiet, s_max, time);
        debouncer.Signal();
        var burst = debouncer.WaitForBurstAsync(CancellationToken.None);

        var steps = 0;
        while (!burst.IsCompleted && steps < 100)
        {
            await AdvanceWhenWaitingAsync(time, TimeSpan.FromMilliseconds(60));
            debouncer.Signal();
            steps++;
        }

        await burst.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(steps * 60, 1000, 1200);
    }

    /// <summary>Lets the debouncer reach its next wait, then moves the fake clock.</summary>
    private static async Task AdvanceWhenWaitingAsync(FakeTimeProvider time, TimeSpan by)
    {
        await Task.Delay(5);
        time.Advance(by);
        await Task.Delay(5);
    }
}
