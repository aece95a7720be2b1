using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>A logger that keeps every event (id and formatted message), for tests that check what a component said.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _events = new();

    /// <summary>Every event logged so far, in order.</summary>
    public IReadOnlyList<(int EventId, string Message)> Events => [.. _events];

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _events.Enqueue((eventId.Id, formatter(state, exception)));
    }
}
