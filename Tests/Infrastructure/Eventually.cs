namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>Bounded polling for conditions that become true asynchronously.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes, then fails with <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>The synchronous-condition form of <see cref="TrueAsync(Func{Task{bool}}, TimeSpan, string)"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);
}
