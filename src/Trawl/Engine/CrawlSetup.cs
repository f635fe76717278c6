using System.Net;
using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Rendering;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// What a crawl run opens before it starts, in the order it opens them: its logging (a default one when the host gave
/// none), its downloader (with the HTTP cache, so a cache that cannot be used stops the run before its job or output
/// is touched), its job or frontier, its item feed, and the page fetcher (plain or rendered). What fails to open closes
/// what was opened before it.
/// </summary>
/// <param name="Logger">The run's logger.</param>
/// <param name="OwnedLogging">The default logging this run made, and disposes; <see langword="null"/> when the host gave a logger factory.</param>
/// <param name="Frontier">The job's frontier, the crawler's, or a new in-memory one.</param>
/// <param name="OwnsFrontier">Whether the run made the frontier, and disposes it.</param>
/// <param name="Durable">Whether the frontier keeps the items (a job or Redis): commits are then grouped.</param>
/// <param name="Job">The job, when the run has a job directory.</param>
/// <param name="Downloader">Plain HTTP, for robots.txt.</param>
/// <param name="Fetcher">The pages, plain or rendered; it disposes the downloader.</param>
/// <param name="Feed">Where committed items go.</param>
/// <param name="PauseToken">Pauses the run.</param>
/// <param name="Scope">The allowed domains, if any.</param>
internal sealed record CrawlSetup(ILogger Logger, ILoggerFactory? OwnedLogging, IFrontier Frontier, bool OwnsFrontier, bool Durable, JobSession? Job, IDownloader Downloader, PageFetcher Fetcher, ItemFeed Feed, CancellationToken PauseToken, CrawlScope? Scope)
{
    /// <summary>Opens what <paramref name="crawler"/>'s run needs.</summary>
    public static async Task<CrawlSetup> OpenAsync(Crawler crawler, CancellationToken pauseToken)
    {
        var spider = crawler.Spider;

        // Without a logger factory the run still says what went wrong, and how it ended (warnings and the summary on
        // standard error, the spider's log file if it names one); a host that wants silence passes NullLoggerFactory.
        var ownedLogging = crawler.LoggerFactory is null ? DefaultLogging.Create(spider.LogLevel, spider.LogFile, Console.Error, crawler.TimeProvider, Log.CrawlFinishedId) : null;
        try
        {
            var logger = (crawler.LoggerFactory ?? ownedLogging!).CreateLogger("Trawl.Crawl." + spider.Name);
            return await OpenAsync(crawler, pauseToken, logger, ownedLogging).ConfigureAwait(false);
        }
        catch
        {
            ownedLogging?.Dispose();
            throw;
        }
    }

    private static async Task<CrawlSetup> OpenAsync(Crawler crawler, CancellationToken pauseToken, ILogger logger, ILoggerFactory? ownedLogging)
    {
        var (spider, options) = (crawler.Spider, crawler.Options);
        spider.Logger = logger;
        var cookies = options.Downloader.UseCookies ? new CookieContainer() : null;
        var scope = CrawlScope.From(options.AllowedDomains);

        // First, with the HTTP cache: a cache directory that cannot be used stops the crawl before its job or output is touched.
        var downloader = CrawlDownloader.Create(crawler, logger, cookies, scope);
        try
        {
            var job = options.JobDir is null ? null : await SpiderJob.OpenAsync(spider, options, crawler.TimeProvider, cookies, logger, crawler.AbortToken).ConfigureAwait(false);
            var frontier = job?.Frontier ?? crawler.Frontier ?? new MemoryFrontier(crawler.TimeProvider);
            var durable = frontier is IItemLog;
            ItemFeed feed;
            try
            {
                feed = await ItemFeed.StartAsync(
                    new ItemFeedOptions
                    {
                        Output = options.Output,
                        Overwrite = options.OverwriteOutput,
                        Owner = job?.Directory,
                        Pipelines = [.. crawler.Pipelines],
                        MaxResultItems = options.MaxResultItems,
                        BufferSize = options.ItemBufferSize,
                        ItemLog = frontier as IItemLog,
                        Logger = logger,
                    },
                    crawler.AbortToken).ConfigureAwait(false);
            }
            catch when (job is not null)
            {
                // An output that cannot be opened (another run writes it, say) leaves the job as it was, and its lock free.
                await job.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var fetcher = NewPageFetcher(crawler, downloader, cookies, scope, logger);
            if (job is not null)
            {
                job.Fetches = () => (fetcher.FetchedPlain, fetcher.Rendered);
            }

            return new CrawlSetup(logger, ownedLogging, frontier, OwnsFrontier: job is null && crawler.Frontier is null, durable, job, downloader, fetcher, feed, pauseToken, scope);
        }
        catch
        {
            downloader.Dispose();
            throw;
        }
    }

    /// <summary>The crawler's pages, plain or rendered as its render settings say; disposing it disposes <paramref name="downloader"/>.</summary>
    internal static PageFetcher NewPageFetcher(Crawler crawler, IDownloader downloader, CookieContainer? cookies, CrawlScope? scope, ILogger logger) =>
        new(downloader, crawler.Renderer, crawler.Options.Render, cookies, crawler.Options.Downloader.UserAgent, scope is null ? null : scope.Allows, NeedsRenderingOf(crawler.Spider, logger), logger);

    // Auto mode asks the spider whether a plain page needs rendering: user code, so a throw keeps the page as fetched.
    private static Func<Response, bool> NeedsRenderingOf(Spider spider, ILogger logger) => response =>
    {
        try
        {
            return spider.NeedsRendering(response);
        }
        catch (Exception ex)
        {
            Log.NeedsRenderingFailed(logger, Logging.UrlRedaction.UrlForLog(response.Url), ex);
            return false;
        }
    };
}
