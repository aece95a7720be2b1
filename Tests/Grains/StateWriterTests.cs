using Mesh.Orleans.Grains;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// A grain's state writes while the store is down: the call that wrote goes on, the latest state
/// is written once the store answers again (retried after 1 s, doubling to every 5 s), one write
/// at a time, and a deactivation while behind tries once more without failing.
/// </summary>
public sealed class StateWriterTests
{
    [Fact]
    public async Task WhileTheStoreAnswers_AWriteCompletesWithTheStateWritten()
    {
        var store = new FlakyStore { State = ["a"] };
        var writer = new StateWriter<List<string>>(store, NullLogger.Instance, () => "g", new FakeTimeProvider());

        await writer.WriteAsync();

        Assert.Equal(["a"], store.Stored);
        Assert.False(writer.Behind);
    }

    [Fact]
    public async Task WhileTheStoreIsDown_WritesGoOn_AndTheLatestStateIsWrittenOnceItAnswers()
    {
        var time = new FakeTimeProvider();
        var store = new FlakyStore { State = ["a"], Down = true };
        var writer = new StateWriter<List<string>>(store, NullLogger.Instance, () => "g", time);

        await writer.WriteAsync();
        Assert.True(writer.Behind);
        Assert.Equal(1, store.Attempts);

        // Changes meanwhile do not write (the catch-up will), and do not fail.
        store.State = ["a", "b"];
        await writer.WriteAsync();
        Assert.Equal(1, store.Attempts);

        // Retried while the store is down: each attempt fails.
        await TickUntilAsync(time, () => store.Failures == 4);
        Assert.Null(store.Stored);

        store.State = ["a", "b", "c"];
        store.Down = false;
        await TickUntilAsync(time, () => !writer.Behind);
        Assert.Equal(["a", "b", "c"], store.Stored);
        Assert.Equal(5, store.Attempts);
        Assert.Equal(1, store.MostInFlight);

        // Caught up: the next write is a plain one again.
        store.State = ["d"];
        await writer.WriteAsync();
        Assert.Equal(["d"], store.Stored);
    }

    [Fact]
    public async Task RetriesComeAfterOneSecond_Doubling_AndStopGrowingAtFiveSeconds()
    {
        var time = new FakeTimeProvider();
        var store = new FlakyStore { State = ["a"], Down = true, Time = time };
        var writer = new StateWriter<List<string>>(store, NullLogger.Instance, () => "g", time);
        await writer.WriteAsync();

        await TickUntilAsync(time, () => store.Attempts == 7);

        // Time moves in ticks of 100 ms, so an interval may come out one tick long.
        var intervals = store.AttemptTimes.Zip(store.AttemptTimes.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        double[] expected = [1, 2, 4, 5, 5, 5];
        Assert.Equal(expected.Length, intervals.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(intervals[i], expected[i], expected[i] + 0.25);
        }

        Assert.True(writer.Behind);
    }

    [Fact]
    public async Task ADeactivationWhileBehind_TriesForThreeSeconds_ThenGivesUpWithoutFailing()
    {
        var time = new FakeTimeProvider();
        var store = new FlakyStore { State = ["a"], Down = true };
        var writer = new StateWriter<List<string>>(store, NullLogger.Instance, () => "g", time);
        await writer.WriteAsync();

        var flush = writer.FlushAsync(CancellationToken.None);
        await TickUntilAsync(time, () => flush.IsCompleted);
        await flush;
        Assert.Null(store.Stored);
        Assert.InRange(store.Attempts, 10, 14); // Every 250 ms for 3 s, after the first.
    }

    [Fact]
    public async Task ADeactivationWhileBehind_WritesAsSoonAsTheStoreAnswers_AndTheCatchUpStops()
    {
        var time = new FakeTimeProvider();
        var store = new FlakyStore { State = ["a"], Down = true };
        var writer = new StateWriter<List<string>>(store, NullLogger.Instance, () => "g", time);
        await writer.WriteAsync();
        store.State = ["b"];

        var flush = writer.FlushAsync(CancellationToken.None);
        await TickUntilAsync(time, () => store.Failures >= 3);
        store.Down = false;
        await TickUntilAsync(time, () => flush.IsCompleted);
        await flush;
        Assert.Equal(["b"], store.Stored);

        // The catch-up stopped: time passing writes nothing more.
        var attempts = store.Attempts;
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(20);
        Assert.Equal(attempts, store.Attempts);
    }

    /// <summary>Moves time on in ticks of 100 ms, letting the writer run between them, until <paramref name="done"/> (at most 10 minutes of fake time).</summary>
    private static async Task TickUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (var tick = 0; tick < 6000 && !done(); tick++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            for (var i = 0; i < 3 && !done(); i++)
            {
                await Task.Delay(1);
            }
        }

        Assert.True(done(), "not reached within 10 minutes of fake time");
    }

    /// <summary>A store that fails every write while <see cref="Down"/>, as a stopped Redis does.</summary>
    private sealed class FlakyStore : IPersistentState<List<string>>
    {
        private int _inFlight;

        public List<string> State { get; set; } = [];

        public List<string>? Stored { get; private set; }

        public volatile bool Down;

        public int Attempts;

        public int MostInFlight;

        public int Failures;

        public FakeTimeProvider? Time { get; init; }

        public List<DateTimeOffset> AttemptTimes { get; } = [];

        public string? Etag { get; private set; }

        public bool RecordExists => Stored is not null;

        public Task ClearStateAsync() => Task.CompletedTask;

        public Task ReadStateAsync() => Task.CompletedTask;

        public async Task WriteStateAsync()
        {
            Interlocked.Increment(ref Attempts);
            if (Time is not null)
            {
                lock (AttemptTimes)
                {
                    AttemptTimes.Add(Time.GetUtcNow());
                }
            }

            var inFlight = Interlocked.Increment(ref _inFlight);
            MostInFlight = Math.Max(MostInFlight, inFlight);
            try
            {
                await Task.Yield();
                if (Down)
                {
                    Interlocked.Increment(ref Failures);
                    throw new InvalidOperationException("the store is down");
                }

                Stored = [.. State];
                Etag = Guid.NewGuid().ToString("N");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
