using Microsoft.Extensions.Logging;

namespace Trawl;

/// <summary>
/// Every log message of the core library, with stable event ids: 1000-1999 the engine, 2000-2099 the downloader.
/// URLs are logged through <see cref="Logging.UrlRedaction.UrlForLog"/>, never raw.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Spider {Spider} started ({Mode}).")]
    public static partial void CrawlStarted(ILogger logger, string spider, string mode);

    [LoggerMessage(1001, LogLevel.Information, "Spider {Spider} finished: {Pages} pages, {Items} items ({ItemsFailed} failed), {Failed} failed in {Elapsed}.")]
    public static partial void CrawlFinished(ILogger logger, string spider, long pages, long items, long itemsFailed, long failed, TimeSpan elapsed);

    [LoggerMessage(1002, LogLevel.Warning, "Spider {Spider} paused ({Reason}) after {Pages} pages and {Items} items.")]
    public static partial void CrawlPaused(ILogger logger, string spider, string reason, long pages, long items);

    [LoggerMessage(1003, LogLevel.Warning, "Pausing: finishing {InFlight} in-flight requests. Press Ctrl+C again to stop at once.")]
    public static partial void Pausing(ILogger logger, int inFlight);

    // Without signal handling (a crawl under a host, HandleSignals off), no second Ctrl+C is ours to offer.
    [LoggerMessage(1090, LogLevel.Warning, "Pausing: finishing {InFlight} in-flight requests.")]
    public static partial void PausingWithoutSignals(ILogger logger, int inFlight);

    [LoggerMessage(1004, LogLevel.Information, "{Limit} reached; finishing in-flight requests.")]
    public static partial void LimitReached(ILogger logger, string limit);

    [LoggerMessage(1005, LogLevel.Debug, "Renewed {Count} leases (heartbeat).")]
    public static partial void LeasesRenewed(ILogger logger, int count);

    [LoggerMessage(1006, LogLevel.Warning, "The shared crawl is paused: finishing {InFlight} in-flight requests, handing {Unstarted} not yet started back, and waiting to be resumed.")]
    public static partial void FrontierPaused(ILogger logger, int inFlight, int unstarted);

    [LoggerMessage(1007, LogLevel.Warning, "The shared crawl was resumed; going on.")]
    public static partial void FrontierResumed(ILogger logger);

    [LoggerMessage(1008, LogLevel.Warning, "The frontier could not be counted for the progress report; trying again at the next one.")]
    public static partial void ProgressCountFailed(ILogger logger, Exception exception);

    [LoggerMessage(1101, LogLevel.Information, "Retrying {Url} (attempt {Attempt} failed: {Kind}: {Error}); next try in {Wait}.")]
    public static partial void Retrying(ILogger logger, string url, int attempt, string kind, string error, TimeSpan wait);

    [LoggerMessage(1102, LogLevel.Warning, "Gave up on {Url} after {Attempts} attempts: {Kind}: {Error}")]
    public static partial void RequestFailed(ILogger logger, string url, int attempts, string kind, string error);

    [LoggerMessage(1103, LogLevel.Error, "{Where} failed on {Url}; the request fails as {Kind}.")]
    public static partial void RequestFaulted(ILogger logger, Exception exception, string where, string url, string kind);

    [LoggerMessage(1105, LogLevel.Error, "Spider {Spider}: {Hook} failed ({Kind}); the crawl goes on.")]
    public static partial void SpiderHookFailed(ILogger logger, Exception exception, string spider, string hook, string kind);

    [LoggerMessage(1106, LogLevel.Warning, "Stored request {EntryId} failed as {Kind}: {Error}")]
    public static partial void StoredRequestFailed(ILogger logger, long entryId, string kind, string error);

    [LoggerMessage(1300, LogLevel.Error, "The crawl cannot continue and is pausing: {Reason}")]
    public static partial void Fatal(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(1400, LogLevel.Information, "New job in {Directory}.")]
    public static partial void JobCreated(ILogger logger, string directory);

    [LoggerMessage(1401, LogLevel.Information, "Resuming the job in {Directory}: {Pending} pending, {Done} done; {Recovered} interrupted requests go back to pending.")]
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
