using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Trawl.Logging;

namespace Trawl.Cli.Hosting;

/// <summary>
/// Builds the CLI's logger factory: the console (standard error), or a live display drawn there, and, with --log-file, a
/// file that gets every message either way.
/// </summary>
internal static class CliLogging
{
    public static LogLevel ParseLevel(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => LogLevel.Information,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" or "off" => LogLevel.None,
        _ => throw new CliUsageException($"Invalid --log-level '{text}': use trace, debug, info, warning, error or none."),
    };

    /// <param name="level">The level for the file, and for the console unless <paramref name="consoleLevel"/> is stricter.</param>
    /// <param name="consoleLevel">The console's level (a live progress display raises it to warnings, unless a level is given).</param>
    /// <param name="logFile">A file to append every message at <paramref name="level"/> to, or <see langword="null"/>.</param>
    /// <param name="display">
    /// The console's messages go through this when a live display may be drawn (the display writes them above itself),
    /// rather than straight to standard error, where they would tear it.
    /// </param>
    public static ILoggerFactory Create(LogLevel level, LogLevel consoleLevel, string? logFile, DisplayLoggerProvider? display = null)
    {
        FileLoggerProvider? file = null;
        if (logFile is not null)
        {
            try
            {
                file = new FileLoggerProvider(logFile, TimeProvider.System);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"Cannot write log file '{logFile}': {ex.Message}");
            }
        }

        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            if (display is not null)
            {
                builder.AddProvider(display);
                builder.AddFilter<DisplayLoggerProvider>(null, Max(level, consoleLevel));
            }
            else
            {
                builder.AddSimpleConsole(options =>
                {
                    options.SingleLine = true;
                    options.TimestampFormat = "HH:mm:ss ";
                    // The console logger judges colour by standard output; it writes to standard error.
                    options.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
                });
                builder.AddFilter<ConsoleLoggerProvider>(null, Max(level, consoleLevel));
                builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            }

            if (file is not null)
            {
                builder.AddProvider(file);
            }
        });
    }

    private static LogLevel Max(LogLevel a, LogLevel b) => a > b ? a : b;
}
