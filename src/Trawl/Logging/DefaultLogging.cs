using Microsoft.Extensions.Logging;

namespace Trawl.Logging;

/// <summary>
/// The logging of a crawl run without a logger factory (<c>CrawlerBuilder.UseLoggerFactory</c>): warnings and errors,
/// and the run's closing summary, on standard error, one line each; and, when the spider names a log file
/// (<c>Spider.LogFile</c>), every message from information up appended to it. <c>Spider.LogLevel</c> moves both
/// thresholds (<see cref="LogLevel.None"/> silences both, summary included).
/// </summary>
internal static class DefaultLogging
{
    /// <summary>Makes the run's logger factory; the caller disposes it when the run is over.</summary>
    /// <param name="level">The spider's level, or <see langword="null"/> for the defaults (warning on the console, information in the file).</param>
    /// <param name="logFile">The spider's log file, or <see langword="null"/>.</param>
    /// <param name="standardError">Where console lines go: standard error, as it is when the run starts.</param>
    /// <param name="time">The clock that stamps the file's lines.</param>
    /// <param name="summaryEventId">The event id of the run's closing summary, shown on the console whatever its level.</param>
    /// <exception cref="IOException">The log file cannot be opened for appending.</exception>
    /// <exception cref="UnauthorizedAccessException">The log file may not be written.</exception>
    public static ILoggerFactory Create(LogLevel? level, string? logFile, TextWriter standardError, TimeProvider time, int summaryEventId)
    {
        var consoleLevel = level ?? LogLevel.Warning;
        var providers = new List<ILoggerProvider>();
        if (consoleLevel != LogLevel.None)
        {
            // The summary is information, but a run that only shows warnings still says how it ended.
            providers.Add(new LineLoggerProvider(
                standardError,
                ownsWriter: false,
                clock: null,
                consoleLevel < LogLevel.Information ? consoleLevel : LogLevel.Information,
                (messageLevel, eventId) => messageLevel >= consoleLevel || eventId.Id == summaryEventId));
        }

        if (logFile is not null && level != LogLevel.None)
        {
            providers.Add(new FileLoggerProvider(logFile, time, level ?? LogLevel.Information));
        }

        return new ProvidersFactory(providers);
    }

    // The core depends on the logging abstractions only, so it composes its own few providers.
    private sealed class ProvidersFactory(List<ILoggerProvider> providers) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Fanout([.. providers.Select(provider => provider.CreateLogger(categoryName))]);

        public void AddProvider(ILoggerProvider provider) => providers.Add(provider);

        public void Dispose()
        {
            foreach (var provider in providers)
            {
                provider.Dispose();
            }
        }

        private sealed class Fanout(ILogger[] loggers) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => loggers.Any(logger => logger.IsEnabled(logLevel));

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                foreach (var logger in loggers)
                {
                    logger.Log(logLevel, eventId, state, exception, formatter);
                }
            }
        }
    }
}
