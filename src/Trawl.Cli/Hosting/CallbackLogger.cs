using Microsoft.Extensions.Logging;

namespace Trawl.Cli.Hosting;

/// <summary>
/// The logger of the CLI's own providers (<see cref="DisplayLoggerProvider"/>): hands
/// each message of its category, formatted, to its provider's <paramref name="write"/>. Levels are filtered by the factory.
/// </summary>
internal sealed class CallbackLogger(string category, Action<string, LogLevel, string, Exception?> write) : ILogger
{
    /// <summary>The level as one four-letter word, as the console logger writes it.</summary>
    public static string ShortName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            write(category, logLevel, formatter(state, exception), exception);
        }
    }
}
