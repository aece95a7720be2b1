using StackExchange.Redis;

namespace Mesh.Orleans.Silo;

/// <summary>
/// Reads the <c>--redis</c> value: <c>HOST:PORT</c> or a StackExchange.Redis connection string.
/// A Redis that is down or restarting must not stop a process from starting or keep it from
/// reconnecting, so connection failures are retried rather than fatal, every second.
/// </summary>
public static class RedisConfiguration
{
    /// <summary>The connection options of <paramref name="value"/>; throws <see cref="ArgumentException"/> with the reason when it names no server.</summary>
    public static ConfigurationOptions Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(value);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or NotSupportedException)
        {
            throw new ArgumentException($"not a Redis address or connection string: {exception.Message}", nameof(value), exception);
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException("names no Redis server (HOST:PORT)", nameof(value));
        }

        options.AbortOnConnectFail = false;

        // Reconnect every second once Redis is back, not on a backoff that grows while it is
        // down (StackExchange.Redis' default, which left grains unable to write for 10 s and more
        // after Redis returned).
        options.ReconnectRetryPolicy = new LinearRetry(1000);
        return options;
    }

    /// <summary>
    /// The connection options of grain storage: as <see cref="Parse"/>, and a write while Redis is
    /// unreachable fails at once instead of waiting (5 s) for a connection, so a grain falls back
    /// to writing in the background (<c>StateWriter</c>) without holding up the change that wrote.
    /// </summary>
    public static ConfigurationOptions ForGrainStorage(string value)
    {
        var options = Parse(value);
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }
}
