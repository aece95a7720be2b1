using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// Counts the Orleans messages this process sends over its connections, from Orleans' own meter
/// (<c>Microsoft.Orleans</c>): each message written to a connection records its size in
/// <c>orleans-messaging-sent-messages-size</c>, tagged <c>ConnectionDirection</c>
/// (<c>SiloToSilo</c>, <c>GatewayToClient</c>, <c>ClientToGateway</c>). <c>/debug/stats</c> reports
/// the counts, and the scale benchmark divides them by the changes it made: the cost of
/// distribution in calls. Messages between grains of one process never reach a connection and
/// are not counted.
/// </summary>
public sealed class OrleansMessageCounts : IDisposable
{
    /// <summary>Orleans' meter.</summary>
    public const string MeterName = "Microsoft.Orleans";

    /// <summary>The histogram of the sizes of the messages sent over connections.</summary>
    public const string SentSize = "orleans-messaging-sent-messages-size";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long[]> _sent = new(StringComparer.Ordinal);

    public OrleansMessageCounts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == SentSize)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, _, tags, _) => Count(tags));
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Count(tags));
        _listener.Start();
    }

    /// <summary>Messages sent over connections since the process started, by the connection's direction.</summary>
    public IReadOnlyDictionary<string, long> Sent => _sent.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value[0]), StringComparer.Ordinal);

    private void Count(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var direction = "Unknown";
        foreach (var tag in tags)
        {
            if (tag.Key == "ConnectionDirection")
            {
                direction = tag.Value?.ToString() ?? direction;
            }
        }

        Interlocked.Increment(ref _sent.GetOrAdd(direction, _ => new long[1])[0]);
    }

    public void Dispose() => _listener.Dispose();
}
