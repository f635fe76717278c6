using System.Net;
using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.HttpCache;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>The downloader a crawl fetches with, put together from its settings: the one home of that wiring.</summary>
internal static class CrawlDownloader
{
    /// <summary>
    /// The HTTP downloader with the crawl's settings, refusing redirects out of <paramref name="scope"/>, behind the
    /// HTTP cache when the crawl has one.
    /// </summary>
    /// <exception cref="HttpCacheException">The cache directory cannot be used.</exception>
    public static IDownloader Create(Crawler crawler, ILogger logger, CookieContainer? cookies, CrawlScope? scope)
    {
        var options = crawler.Options;
        var store = options.HttpCache.Directory is { } directory ? HttpCacheStore.Open(directory) : null;
        IDownloader downloader = new HttpDownloader(options.Downloader, logger, cookies, crawler.TimeProvider) { RedirectFilter = scope is null ? null : scope.Allows };
        return store is null ? downloader : new CachingDownloader(downloader, store, options.HttpCache, crawler.TimeProvider, logger);
    }
}
