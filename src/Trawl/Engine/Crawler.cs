using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>Runs a spider: the crawl engine.</summary>
internal static class Crawler
{
    public static Task<CrawlResult> RunAsync(Spider spider, CrawlOptions options, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
