using Microsoft.Extensions.Logging;

namespace Trawl;

// The sitemaps' part of the library's one log-message class. Event ids 2700-2799 belong to sitemaps.
// Every URL passed here has gone through Logging.UrlRedaction.UrlForLog first.
internal static partial class Log
{
    [LoggerMessage(EventId = 2700, Level = LogLevel.Warning, Message = "Sitemap {Url} lists more than {Max} entries, the protocol's limit: the {Dropped} past it are not crawled (sitemap_truncated)")]
    public static partial void SitemapTruncated(ILogger logger, string url, int max, int dropped);

    [LoggerMessage(EventId = 2701, Level = LogLevel.Debug, Message = "Sitemap {Url}: {Pages} pages, {Sitemaps} sitemaps, {Dropped} entries dropped")]
    public static partial void SitemapRead(ILogger logger, string url, int pages, int sitemaps, int dropped);
}
