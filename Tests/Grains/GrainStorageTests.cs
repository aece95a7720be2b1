using Mesh.Orleans.Grains;
using Orleans.Storage;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// Writing grain state when the store lost its copy (a Redis restarted without its data): the
/// activation's state is written over the store's, not lost, and a write that fails for any
/// other reason still fails.
/// </summary>
public sealed class GrainStorageTests
{
    [Fact]
    public async Task AWriteTheStoreRefusesAsInconsistent_TakesTheStoreOver_WithTheActivationsState()
    {
        var state = new StoreLosingItsCopy { State = new List<string> { "held" } };

        await state.WriteOrTakeOverAsync();

        Assert.Equal(["held"], state.Stored);
        Assert.Equal(2, state.Writes);
        Assert.Equal(1, state.Reads);
    }

    [Fact]
    public async Task AnotherFailure_IsNotSwallowed()
    {
        var state = new StoreLosingItsCopy { State = ["held"], Failure = new TimeoutException("store down") };

        await Assert.ThrowsAsync<TimeoutException>(state.WriteOrTakeOverAsync);
    }

    /// <summary>A store whose first write finds its copy gone (the ETag no longer matches), as an emptied Redis answers.</summary>
    private sealed class StoreLosingItsCopy : IPersistentState<List<string>>
    {
        public List<string> State { get; set; } = [];

        public List<string>? Stored { get; private set; }

        public int Writes { get; private set; }

        public int Reads { get; private set; }

        public Exception? Failure { get; init; }

        public string? Etag { get; private set; } = "stale";

        public bool RecordExists => Stored is not null;

        public Task ClearStateAsync() => Task.CompletedTask;

        public Task ReadStateAsync()
        {
            Reads++;
            Etag = null;
            State = []; // What the emptied store holds: nothing.
            return Task.CompletedTask;
        }

        public Task WriteStateAsync()
        {
            Writes++;
            if (Failure is not null)
            {
                throw Failure;
            }

            if (Etag is not null)
            {
                throw new InconsistentStateException("Version conflict", Etag, "none");
            }

            Stored = [.. State];
            Etag = "1";
            return Task.CompletedTask;
        }
    }
}
