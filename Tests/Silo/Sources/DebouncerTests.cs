using Mesh.Orleans.Silo.Sources;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>The debouncer against a fake clock: how much fake time passes before a burst ends.</summary>
public sealed class DebouncerTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task WaitForBurst_ASingleBurst_EndsAfterTheQuietPeriod()
    {
        var time = new FakeTimeProvider();
        var debouncer = new Debouncer(s_quiet, s_max, time);
        for (var i = 0; i < 5; i++)
        {
            debouncer.Signal();
        }

        var burst = debouncer.WaitForBurstAsync(CancellationToken.None);
        var elapsed = await AdvanceUntilDoneAsync(time, burst, signalEvery: null, debouncer);

        Assert.InRange(elapsed, s_quiet, s_max - s_step);
        Assert.True(await burst >= 1);
    }

    [Fact]
    public async Task WaitForBurst_ASteadyTrickleFasterThanTheQuietPeriod_EndsAtTheMaximumDelay()
    {
        var time = new FakeTimeProvider();
        var debouncer = new Debouncer(s_quiet, s_max, time);
        debouncer.Signal();

        var burst = debouncer.WaitForBurstAsync(CancellationToken.None);
        var elapsed = await AdvanceUntilDoneAsync(time, burst, signalEvery: 5, debouncer);

        Assert.InRange(elapsed, s_max, s_max + s_quiet);
        Assert.True(await burst > 5, "the trickle's signals were coalesced into the one burst");
    }

    /// <summary>
    /// Moves the fake clock in small steps, letting the debouncer run between them, until the
    /// burst ends (at most 3 s of fake time); returns the fake time that passed.
    /// </summary>
    private static async Task<TimeSpan> AdvanceUntilDoneAsync(FakeTimeProvider time, Task<int> burst, int? signalEvery, Debouncer debouncer)
    {
        var elapsed = TimeSpan.Zero;
        for (var step = 1; step <= 300 && !burst.IsCompleted; step++)
        {
            await Task.Delay(2);
            time.Advance(s_step);
            elapsed += s_step;
            if (signalEvery is int every && step % every == 0)
            {
                debouncer.Signal();
            }
        }

        await burst.WaitAsync(TimeSpan.FromSeconds(5));
        return elapsed;
    }
}
