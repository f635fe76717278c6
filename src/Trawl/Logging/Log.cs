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

    [LoggerMessage(1001, LogLevel.Information, "Spider {Spider} finished: {Pages} pages, {Items} items, {Failed} failed in {Elapsed}.")]
    public static partial void CrawlFinished(ILogger logger, string spider, long pages, long items, long failed, TimeSpan elapsed);

    [LoggerMessage(1002, LogLevel.Warning, "Spider {Spider} paused ({Reason}) after {Pages} pages and {Items} items.")]
    public static partial void CrawlPaused(ILogger logger, string spider, string reason, long pages, long items);

    [LoggerMessage(1003, LogLevel.Information, "Pausing: finishing {InFlight} in-flight requests. Press Ctrl+C again to stop at once.")]
    public static partial void Pausing(ILogger logger, int inFlight);

    [LoggerMessage(1004, LogLevel.Information, "{Limit} reached; finishing in-flight requests.")]
    public static partial void LimitReached(ILogger logger, string limit);

    [LoggerMessage(1101, LogLevel.Information, "Retrying {Url} (attempt {Attempt} failed: {Kind}: {Error}); next try in {Wait}.")]
    public static partial void Retrying(ILogger logger, string url, int attempt, string kind, string error, TimeSpan wait);

    [LoggerMessage(1102, LogLevel.Warning, "Gave up on {Url} after {Attempts} attempts: {Kind}: {Error}")]
    public static partial void RequestFailed(ILogger logger, string url, int attempts, string kind, string error);

    [LoggerMessage(1103, LogLevel.Error, "Callback {Callback} failed on {Url}")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string callback, string url);

    [LoggerMessage(1104, LogLevel.Information, "Skipped {Url}: {Reason}")]
    public static partial void RequestSkipped(ILogger logger, string url, string reason);

    [LoggerMessage(1200, LogLevel.Error, "Item pipeline {Pipeline} failed; dropping {Count} items.")]
    public static partial void PipelineFailed(ILogger logger, Exception exception, string pipeline, int count);

    [LoggerMessage(1300, LogLevel.Error, "The crawl cannot continue and is pausing: {Reason}")]
    public static partial void Fatal(ILogger logger, Exception exception, string reason);
}
