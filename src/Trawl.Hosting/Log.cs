using Microsoft.Extensions.Logging;

namespace Trawl.Hosting;

/// <summary>Every log message of Trawl.Hosting, with stable event ids 5000-5099. The crawl itself logs through the core's messages.</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Crawl {Crawl} starting with the settings in {Section}; job directory {JobDir}.")]
    public static partial void Starting(ILogger logger, string crawl, string section, string jobDir);

    [LoggerMessage(5001, LogLevel.Warning, "Crawl {Crawl} starting with no job directory ({Section}:JobDir): unless it runs on a shared frontier, what it has crawled is lost when the host stops.")]
    public static partial void StartingInMemory(ILogger logger, string crawl, string section);

    [LoggerMessage(5002, LogLevel.Information, "The host is stopping: pausing crawl {Crawl}, waiting up to {Timeout} for its requests in flight.")]
    public static partial void Pausing(ILogger logger, string crawl, string timeout);

    [LoggerMessage(5003, LogLevel.Warning, "Crawl {Crawl} did not pause in time: stopping it at once. Its requests in flight stay in the job and are fetched again on the next start.")]
    public static partial void StoppingAtOnce(ILogger logger, string crawl);

    [LoggerMessage(5004, LogLevel.Information, "Crawl {Crawl} paused; the job in {JobDir} resumes on the next start.")]
    public static partial void Paused(ILogger logger, string crawl, string jobDir);

    [LoggerMessage(5005, LogLevel.Warning, "Crawl {Crawl} stopped; it kept no job directory, so the next start begins again.")]
    public static partial void PausedInMemory(ILogger logger, string crawl);

    [LoggerMessage(5006, LogLevel.Information, "Crawl {Crawl} finished; {Next}.")]
    public static partial void Finished(ILogger logger, string crawl, string next);

    [LoggerMessage(5007, LogLevel.Error, "Crawl {Crawl} cannot start: {Problem}")]
    public static partial void CannotStart(ILogger logger, string crawl, string problem);

    [LoggerMessage(5008, LogLevel.Error, "Crawl {Crawl} stopped by an error: {Error}{Resume} Stopping the application.")]
    public static partial void Failed(ILogger logger, string crawl, string error, string resume);

    [LoggerMessage(5009, LogLevel.Critical, "Crawl {Crawl} failed unexpectedly; stopping the application.")]
    public static partial void Crashed(ILogger logger, Exception exception, string crawl);
}
