using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Trawl.Cli.Hosting;

/// <summary>
/// The console's logger when a live display is drawn on it. While the display runs, messages are held for it
/// (<see cref="Drain"/>) and it writes them above itself, so nothing else writes to the terminal between its redraws;
/// before and after, they go straight to the console, one plain line each.
/// </summary>
/// <remarks>
/// A message shows its time, level and text, and an exception's type and message, never a stack trace: the full
/// exception goes to <c>--log-file</c>, which every message reaches whether or not a display runs.
/// </remarks>
internal sealed class DisplayLoggerProvider(TextWriter console, TimeProvider time) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, CallbackLogger> _loggers = new(StringComparer.Ordinal);
    private List<LogLine> _held = [];
    private Action? _attached;

    /// <summary>
    /// Holds messages for the display from now on, calling <paramref name="changed"/> after each one (from the thread
    /// that logged it), until <see cref="Detach"/>.
    /// </summary>
    public void Attach(Action changed)
    {
        lock (_gate)
        {
            _attached = changed;
        }
    }

    /// <summary>Takes the messages held since the last call, oldest first.</summary>
    public IReadOnlyList<LogLine> Drain()
    {
        lock (_gate)
        {
            if (_held.Count == 0)
            {
                return [];
            }

            var lines = _held;
            _held = [];
            return lines;
        }
    }

    /// <summary>Writes the messages still held to the console, in order, and every later one as it comes.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _attached = null;
            foreach (var line in _held)
            {
                console.WriteLine(line.Text);
            }

            _held = [];
        }
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new CallbackLogger(name, Write));

    public void Dispose() => Detach();

    // The category is left out: on a terminal it is noise before every line (the log file keeps it).
    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var text = $"{time.GetLocalNow():HH:mm:ss} {CallbackLogger.ShortName(level)}: {message}";
        if (exception is not null)
        {
            text += $" ({exception.GetType().Name}: {exception.Message})";
        }

        Action? changed;
        lock (_gate)
        {
            changed = _attached;
            if (changed is null)
            {
                console.WriteLine(text);
                return;
            }

            _held.Add(new LogLine(level, text));
        }

        changed();
    }
}

/// <summary>A message as the display shows it: its level (for its colour) and its line.</summary>
internal readonly record struct LogLine(LogLevel Level, string Text);
