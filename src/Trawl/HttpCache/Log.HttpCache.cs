using Microsoft.Extensions.Logging;

namespace Trawl;

// The HTTP cache's part of the library's one log-message class. Event ids 2100-2199 belong to the HTTP cache.
// Every URL passed here has gone through Logging.UrlRedaction.UrlForLog first.
internal static partial class Log
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "HTTP cache {Directory} ({Policy}): {Hits} responses from the cache, {Revalidated} revalidated, {Stored} stored, {Fetched} fetched")]
    public static partial void HttpCacheSummary(ILogger logger, string directory, string policy, long hits, long revalidated, long stored, long fetched);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Trace, Message = "From the HTTP cache: {Url} ({Status}, stored {StoredAt:u})")]
    public static partial void HttpCacheHit(ILogger logger, string url, int status, DateTimeOffset storedAt);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Trace, Message = "Revalidated {Url}: not modified")]
    public static partial void HttpCacheRevalidated(ILogger logger, string url);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "The HTTP cache could not read or write the entry of {Url}; the page is fetched and the crawl goes on: {Reason}")]
    public static partial void HttpCacheFailed(ILogger logger, string url, string reason, Exception exception);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Debug, Message = "The HTTP cache could not read or write the entry of {Url}: {Reason}")]
    public static partial void HttpCacheFailedAgain(ILogger logger, string url, string reason);
}
