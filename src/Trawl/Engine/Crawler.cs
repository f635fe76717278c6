using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Middleware;
using Trawl.Politeness;
using Trawl.Rendering;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// A spider ready to crawl: its validated, frozen settings and what the crawl runs with. Build one with
/// <see cref="CrawlerBuilder"/>, or run a spider at once with <see cref="SpiderRunExtensions.RunAsync"/>.
/// </summary>
/// <remarks>
/// A crawler can run more than once in turn (a durable job resumes where the last run stopped), but not twice at once.
/// </remarks>
public sealed class Crawler
{
    internal Crawler(CrawlerBuilder builder)
    {
        Spider = builder.Spider;
        Options = builder.Options;
        Pipelines = [.. builder.Pipelines];
        Middleware = [.. builder.Middleware];
        Frontier = builder.Frontier;
        DomainGate = builder.DomainGate;
        Renderer = builder.Renderer;
        Progress = builder.Progress;
        AbortToken = builder.AbortToken;
        TimeProvider = builder.TimeProvider;
        LoggerFactory = builder.LoggerFactory;
    }

    /// <summary>The spider.</summary>
    public Spider Spider { get; }

    /// <summary>The crawl's settings, validated and frozen.</summary>
    public CrawlOptions Options { get; }

    internal IReadOnlyList<ItemPipeline> Pipelines { get; }

    internal IReadOnlyList<DownloaderMiddleware> Middleware { get; }

    internal IFrontier? Frontier { get; }

    internal IDomainGate? DomainGate { get; }

    internal IPageRenderer? Renderer { get; }

    internal IProgress<CrawlProgress>? Progress { get; }

    internal CancellationToken AbortToken { get; }

    internal TimeProvider TimeProvider { get; }

    internal ILoggerFactory? LoggerFactory { get; }

    /// <summary>
    /// Runs the spider until its frontier is exhausted, a limit is reached, or the crawl is paused.
    /// </summary>
    /// <param name="cancellationToken">
    /// Cancelling it pauses the crawl gracefully: no new requests are taken, in-flight ones finish, and the result has
    /// <see cref="CrawlResult.Paused"/> set. To stop at once, cancel the token given to
    /// <see cref="CrawlerBuilder.UseAbortToken"/>.
    /// </param>
    /// <exception cref="JobDirectoryException">The job directory cannot be used (corrupt, newer, locked, full...).</exception>
    /// <exception cref="ItemExportException">
    /// The output cannot be opened, or it belongs to an unfinished job other than this crawl's (its message names the job).
    /// </exception>
    /// <exception cref="IOException">Without a logger factory: the spider's <see cref="Spider.LogFile"/> cannot be opened.</exception>
    public async Task<CrawlResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Options.Output is { } output)
        {
            await JobDirectory.ThrowIfOutputOfAnotherJobAsync(output, Options.JobDir, cancellationToken).ConfigureAwait(false);
        }

        // Started first, so the engine's loops (the commit loop starts with the engine) run with it as the current span.
        using var span = CrawlTracing.StartCrawl(Spider.Name);
        try
        {
            var engine = await CrawlEngine.CreateAsync(this, cancellationToken).ConfigureAwait(false);
            await using var disposeEngine = engine.ConfigureAwait(false);
            var result = await engine.RunAsync().ConfigureAwait(false);
            CrawlTracing.CrawlEnded(span, result);
            return result;
        }
        catch (Exception ex) when (CrawlTracing.Failed(span, ex))
        {
            throw;
        }
    }
}
