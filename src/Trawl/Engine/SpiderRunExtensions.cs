using Trawl.Crawling;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>Runs a spider in one call: <c>await spider.RunAsync(options)</c>.</summary>
public static class SpiderRunExtensions
{
    /// <summary>
    /// Runs <paramref name="spider"/> with <paramref name="options"/> until its frontier is exhausted, a limit is reached,
    /// or the crawl is paused. The same as <c>new CrawlerBuilder(spider, options).Build().RunAsync(cancellationToken)</c>;
    /// use <see cref="CrawlerBuilder"/> to give the crawl pipelines, middleware, a logger and the like.
    /// </summary>
    /// <param name="spider">The spider.</param>
    /// <param name="options">The crawl's settings; <see langword="null"/> for the defaults. They are frozen once the crawl starts.</param>
    /// <param name="cancellationToken">
    /// Cancelling it pauses the crawl gracefully: no new requests are taken, in-flight ones finish, and the result has
    /// <see cref="CrawlResult.Paused"/> set.
    /// </param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Task<CrawlResult> RunAsync(this Spider spider, CrawlOptions? options = null, CancellationToken cancellationToken = default) =>
        new CrawlerBuilder(spider, options).Build().RunAsync(cancellationToken);
}
