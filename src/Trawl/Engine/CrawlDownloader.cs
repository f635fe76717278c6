using System.Net;
using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>The downloader a crawl fetches with, put together from its settings: the one home of that wiring.</summary>
internal static class CrawlDownloader
{
    /// <summary>
    /// The HTTP downloader with the crawl's settings, refusing redirects out of <paramref name="scope"/>.
    /// </summary>
    public static IDownloader Create(Crawler crawler, ILogger logger, CookieContainer? cookies, CrawlScope? scope) =>
        new HttpDownloader(crawler.Options.Downloader, logger, cookies, crawler.TimeProvider) { RedirectFilter = scope is null ? null : scope.Allows };
}
