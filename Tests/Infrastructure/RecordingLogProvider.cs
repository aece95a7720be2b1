using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>Keeps every message every logger of a host writes, at every level, with its exception, for tests that grep what a process said.</summary>
public sealed class RecordingLogProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Every line so far: category, event id, message and exception.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
