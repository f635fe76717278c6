using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Trawl.Logging;

/// <summary>
/// Writes log messages to a <see cref="TextWriter"/>, one line each (<c>warn: message</c>, after a UTC timestamp when it
/// has a clock), an exception's text on the lines after. What <see cref="FileLoggerProvider"/> and the console of a crawl
/// run without a logger factory (<see cref="DefaultLogging"/>) both write.
/// </summary>
internal sealed class LineLoggerProvider : ILoggerProvider
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly TimeProvider? _clock;
    private readonly LogLevel _minimum;
    private readonly Func<LogLevel, EventId, bool> _filter;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, LineLogger> _loggers = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="writer">Where the lines go.</param>
    /// <param name="ownsWriter">Whether disposing the provider disposes <paramref name="writer"/>.</param>
    /// <param name="clock">Stamps each line with its UTC time; <see langword="null"/> for no stamp.</param>
    /// <param name="minimum">The lowest level any message may be written at.</param>
    /// <param name="filter">Which messages at <paramref name="minimum"/> or above are written, by level and event id; <see langword="null"/> for all.</param>
    public LineLoggerProvider(TextWriter writer, bool ownsWriter, TimeProvider? clock, LogLevel minimum, Func<LogLevel, EventId, bool>? filter = null)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _clock = clock;
        _minimum = minimum;
        _filter = filter ?? (static (_, _) => true);
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new LineLogger(this, name));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
            else
            {
                _writer.Flush();
            }
        }
    }

    /// <summary>The short name of a level, as lines show it.</summary>
    internal static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var line = _clock is null
            ? $"{Short(level)}: {message}"
            : $"{_clock.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {Short(level)} {category}: {message}";
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _writer.WriteLine(line);
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
        }
    }

    private sealed class LineLogger(LineLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && owner._filter(logLevel, eventId))
            {
                owner.Write(category, logLevel, formatter(state, exception), exception);
            }
        }
    }
}
