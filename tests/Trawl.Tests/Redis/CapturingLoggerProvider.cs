using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Trawl.Tests.Redis;

/// <summary>Keeps every log line (message and exception text), to check what reaches the logs.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<(EventId Id, LogLevel Level, string Text)> _entries = new();

    public IReadOnlyList<(EventId Id, LogLevel Level, string Text)> Entries => [.. _entries];

    public string AllText => string.Join('\n', _entries.Select(e => e.Text));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                text += " | " + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}"));
            }

            owner._entries.Enqueue((eventId, logLevel, exception is null ? text : $"{text}\n{exception}"));
        }
    }
}
