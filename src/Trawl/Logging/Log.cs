using System.Globalization;
using Microsoft.Extensions.Logging;
using Trawl.Logging;

namespace Trawl;

/// <summary>
/// Every log message of the core library, with stable event ids: 1000-1999 the engine, 2000-2099 the downloader.
/// URLs are logged through <see cref="Logging.UrlRedaction.UrlForLog"/>, never raw. Counts and durations are written
/// by <see cref="Wording"/> ("1 attempt", "59.9 s"): a message that has one takes the numbers, checks its level, and
/// passes the words to its generated method, so a message that is off costs no formatting.
/// </summary>
internal static partial class Log
{
    /// <summary>The event id of the crawl's closing summary (<see cref="CrawlFinished"/>).</summary>
    public const int CrawlFinishedId = 1001;

    [LoggerMessage(1000, LogLevel.Information, "Spider {Spider} started ({Mode}).")]
    public static partial void CrawlStarted(ILogger logger, string spider, string mode);

    public static void CrawlFinished(ILogger logger, string spider, long pages, long items, long itemsFailed, long failed, TimeSpan elapsed)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var itemsText = Wording.Count(items, "item") + (itemsFailed > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({itemsFailed:N0} failed)") : string.Empty);
            CrawlFinishedMessage(logger, spider, Wording.Duration(elapsed), Wording.Count(pages, "page"), itemsText, Wording.Count(failed, "request"));
        }
    }

    [LoggerMessage(CrawlFinishedId, LogLevel.Information, "Spider {Spider} finished in {Elapsed}: {Pages}, {Items}; {Failed} failed.")]
    private static partial void CrawlFinishedMessage(ILogger logger, string spider, string elapsed, string pages, string items, string failed);

    public static void CrawlPaused(ILogger logger, string spider, string reason, long pages, long items)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            CrawlPausedMessage(logger, spider, reason, Wording.Count(pages, "page"), Wording.Count(items, "item"));
        }
    }

    [LoggerMessage(1002, LogLevel.Warning, "Spider {Spider} paused ({Reason}) after {Pages} and {Items}.")]
    private static partial void CrawlPausedMessage(ILogger logger, string spider, string reason, string pages, string items);

    public static void Pausing(ILogger logger, int inFlight)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            PausingMessage(logger, Wording.Count(inFlight, "request"));
        }
    }

    [LoggerMessage(1003, LogLevel.Warning, "Pausing: finishing {InFlight} in flight. Press Ctrl+C again to stop at once.")]
    private static partial void PausingMessage(ILogger logger, string inFlight);

    // Without signal handling (a crawl under a host, HandleSignals off), no second Ctrl+C is ours to offer.
    [LoggerMessage(1090, LogLevel.Warning, "Pausing: finishing {InFlight} in-flight requests.")]
    public static partial void PausingWithoutSignals(ILogger logger, int inFlight);

    [LoggerMessage(1004, LogLevel.Information, "{Limit} reached; finishing in-flight requests.")]
    public static partial void LimitReached(ILogger logger, string limit);

    public static void LeasesRenewed(ILogger logger, int count)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LeasesRenewedMessage(logger, Wording.Count(count, "lease"));
        }
    }

    [LoggerMessage(1005, LogLevel.Debug, "Renewed {Leases} (heartbeat).")]
    private static partial void LeasesRenewedMessage(ILogger logger, string leases);

    public static void FrontierPaused(ILogger logger, int inFlight, int unstarted)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            FrontierPausedMessage(logger, Wording.Count(inFlight, "request"), Wording.Count(unstarted, "request"));
        }
    }

    [LoggerMessage(1006, LogLevel.Warning, "The shared crawl is paused: finishing {InFlight} in flight, handing back {Unstarted} not started yet, and waiting to be resumed.")]
    private static partial void FrontierPausedMessage(ILogger logger, string inFlight, string unstarted);

    [LoggerMessage(1007, LogLevel.Warning, "The shared crawl was resumed; going on.")]
    public static partial void FrontierResumed(ILogger logger);

    [LoggerMessage(1008, LogLevel.Warning, "The frontier could not be counted for the progress report; trying again at the next one.")]
    public static partial void ProgressCountFailed(ILogger logger, Exception exception);

    public static void Retrying(ILogger logger, string url, int attempt, string kind, string error, TimeSpan wait)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            RetryingMessage(logger, url, attempt, kind, error, Wording.Duration(wait));
        }
    }

    [LoggerMessage(1101, LogLevel.Information, "Retrying {Url} (attempt {Attempt} failed: {Kind}: {Error}); next try in {Wait}.")]
    private static partial void RetryingMessage(ILogger logger, string url, int attempt, string kind, string error, string wait);

    public static void RequestFailed(ILogger logger, string url, int attempts, string kind, string error)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RequestFailedMessage(logger, url, Wording.Count(attempts, "attempt"), kind, error);
        }
    }

    [LoggerMessage(1102, LogLevel.Warning, "Gave up on {Url} after {Attempts}: {Kind}: {Error}")]
    private static partial void RequestFailedMessage(ILogger logger, string url, string attempts, string kind, string error);

    [LoggerMessage(1103, LogLevel.Error, "{Where} failed on {Url}; the request fails as {Kind}.")]
    public static partial void RequestFaulted(ILogger logger, Exception exception, string where, string url, string kind);

    [LoggerMessage(1105, LogLevel.Error, "Spider {Spider}: {Hook} failed ({Kind}); the crawl goes on.")]
    public static partial void SpiderHookFailed(ILogger logger, Exception exception, string spider, string hook, string kind);

    [LoggerMessage(1106, LogLevel.Warning, "Stored request {EntryId} failed as {Kind}: {Error}")]
    public static partial void StoredRequestFailed(ILogger logger, long entryId, string kind, string error);

    public static void LinksTruncated(ILogger logger, string url, int max, int dropped)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            LinksTruncatedMessage(logger, Wording.Count(dropped, "link"), max.ToString("N0", CultureInfo.InvariantCulture), url);
        }
    }

    [LoggerMessage(1107, LogLevel.Warning, "Not following {Dropped} past the limit of {Max} per page on {Url} (links_truncated; raise MaxLinksPerPage, --max-links-per-page, to follow more).")]
    private static partial void LinksTruncatedMessage(ILogger logger, string dropped, string max, string url);

    [LoggerMessage(1300, LogLevel.Error, "The crawl cannot continue and is pausing: {Reason}")]
    public static partial void Fatal(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(1400, LogLevel.Information, "New job in {Directory}.")]
    public static partial void JobCreated(ILogger logger, string directory);

    [LoggerMessage(1401, LogLevel.Information, "Resuming the job in {Directory}: {Pending} pending (of which {Recovered} were interrupted), {Done} done.")]
    public static partial void JobResumed(ILogger logger, string directory, long pending, long done, long recovered);

    [LoggerMessage(1402, LogLevel.Warning, "The job in {Directory} was made with other settings; continuing with the new ones. Use --fresh to start over.")]
    public static partial void JobSettingsChanged(ILogger logger, string directory);

    [LoggerMessage(1403, LogLevel.Warning, "The job in {Directory} belongs to spider '{Previous}', not '{Current}'; continuing. Use --fresh to start over.")]
    public static partial void JobSpiderChanged(ILogger logger, string directory, string previous, string current);

    [LoggerMessage(1404, LogLevel.Information, "The job in {Directory} had finished; running it again: start pages are fetched again and only links not seen before are followed.")]
    public static partial void JobRerun(ILogger logger, string directory);

    [LoggerMessage(1405, LogLevel.Information, "Moved the old job directory {Directory} aside to {Aside}.")]
    public static partial void JobMovedAside(ILogger logger, string directory, string aside);

    [LoggerMessage(1406, LogLevel.Information, "The job finished; removed its directory {Directory} (CrawlOptions.KeepJob, or --keep-job, keeps it).")]
    public static partial void JobRemoved(ILogger logger, string directory);
}
