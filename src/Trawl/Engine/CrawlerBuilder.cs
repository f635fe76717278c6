using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Middleware;
using Trawl.Politeness;
using Trawl.Rendering;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// Puts a crawl together: a spider, its settings (<see cref="CrawlOptions"/>), and what it runs with besides, which
/// are not settings: item pipelines, downloader middleware, a frontier or domain gate shared beyond this process, a
/// logger, a clock, a progress sink and a token that stops it at once. <see cref="Build"/> makes the
/// <see cref="Crawler"/>.
/// </summary>
/// <example>
/// <code>
/// var crawler = new CrawlerBuilder(new QuotesSpider(), new CrawlOptions { Output = "quotes.jsonl" })
///     .AddPipeline(new DropEmptyQuotes())
///     .UseLoggerFactory(loggerFactory)
///     .Build();
/// var result = await crawler.RunAsync(cancellationToken);
/// </code>
/// </example>
public sealed class CrawlerBuilder
{
    private readonly List<ItemPipeline> _pipelines = [];
    private readonly List<DownloaderMiddleware> _middleware = [];
    private bool _built;

    /// <summary>Starts a crawl of <paramref name="spider"/> with <paramref name="options"/> (the defaults when <see langword="null"/>).</summary>
    /// <remarks>
    /// Options frozen by an earlier crawl (say, the run a durable job now resumes) are taken as they are: they were
    /// validated then, and the spider's <see cref="Spider.ConfigureOptions"/> has had its say.
    /// </remarks>
    public CrawlerBuilder(Spider spider, CrawlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spider);
        Spider = spider;
        Options = options ?? new CrawlOptions();
    }

    /// <summary>The spider.</summary>
    public Spider Spider { get; }

    /// <summary>The crawl's settings; unless frozen already, they can change until <see cref="Build"/>, which validates and freezes them.</summary>
    public CrawlOptions Options { get; }

    internal IReadOnlyList<ItemPipeline> Pipelines => _pipelines;

    internal IReadOnlyList<DownloaderMiddleware> Middleware => _middleware;

    internal IFrontier? Frontier { get; private set; }

    internal IDomainGate? DomainGate { get; private set; }

    internal IPageRenderer? Renderer { get; private set; }

    internal IProgress<CrawlProgress>? Progress { get; private set; }

    internal CancellationToken AbortToken { get; private set; }

    internal TimeProvider TimeProvider { get; private set; } = TimeProvider.System;

    internal ILoggerFactory? LoggerFactory { get; private set; }

    /// <summary>Adds an item pipeline; pipelines run in the order added, on every item before it is exported.</summary>
    public CrawlerBuilder AddPipeline(ItemPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ThrowIfBuilt();
        _pipelines.Add(pipeline);
        return this;
    }

    /// <summary>Adds downloader middleware; middleware runs in the order added on requests, and in reverse order on responses.</summary>
    public CrawlerBuilder AddMiddleware(DownloaderMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        ThrowIfBuilt();
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>
    /// Crawls on <paramref name="frontier"/> instead of a new in-memory one: for example a Redis frontier shared by many
    /// workers. Its owner disposes it. Cannot be combined with <see cref="CrawlOptions.JobDir"/>, which has a frontier
    /// of its own.
    /// </summary>
    public CrawlerBuilder UseFrontier(IFrontier frontier)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        ThrowIfBuilt();
        Frontier = frontier;
        return this;
    }

    /// <summary>
    /// Makes each request to a domain pass <paramref name="gate"/> just before it starts, after the per-domain limits of
    /// the options: for limits shared beyond this process, such as a cluster-wide rate per domain. A refusal defers only
    /// that domain. Its owner keeps it alive for the run. See <see cref="IDomainGate"/>.
    /// </summary>
    public CrawlerBuilder UseDomainGate(IDomainGate gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ThrowIfBuilt();
        DomainGate = gate;
        return this;
    }

    /// <summary>
    /// Renders pages in a browser with <paramref name="renderer"/> where <see cref="CrawlOptions.Render"/> or a request's
    /// meta (<see cref="Http.RequestMeta.Render"/>) asks for it: for example <c>Trawl.Browser</c>'s <c>BrowserRenderer</c>.
    /// A rendered page is just another way to download: it takes the same politeness, retries and durable bookkeeping as
    /// a plain one. Its owner keeps it alive for the run and disposes it after.
    /// </summary>
    public CrawlerBuilder UseRenderer(IPageRenderer renderer)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ThrowIfBuilt();
        Renderer = renderer;
        return this;
    }

    /// <summary>Tells <paramref name="progress"/> about the crawl every <see cref="CrawlOptions.ProgressInterval"/>, and once at the end.</summary>
    public CrawlerBuilder ReportProgress(IProgress<CrawlProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ThrowIfBuilt();
        Progress = progress;
        return this;
    }

    /// <summary>Stops the crawl at once, abandoning in-flight requests, when <paramref name="abortToken"/> is cancelled.</summary>
    public CrawlerBuilder UseAbortToken(CancellationToken abortToken)
    {
        ThrowIfBuilt();
        AbortToken = abortToken;
        return this;
    }

    /// <summary>Takes time for delays, leases and retries from <paramref name="timeProvider"/>.</summary>
    /// <remarks>The default is <see cref="TimeProvider.System"/>.</remarks>
    public CrawlerBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ThrowIfBuilt();
        TimeProvider = timeProvider;
        return this;
    }

    /// <summary>
    /// Logs the crawl to <paramref name="loggerFactory"/>. Without one, the crawl writes warnings, errors and its closing
    /// summary to standard error, one line each, and its whole log to the spider's <see cref="Spider.LogFile"/> if it
    /// names one; give it <c>NullLoggerFactory.Instance</c> for silence.
    /// </summary>
    public CrawlerBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ThrowIfBuilt();
        LoggerFactory = loggerFactory;
        return this;
    }

    /// <summary>
    /// Lets the spider adjust the options (<see cref="Spider.ConfigureOptions"/>), validates them, freezes them, and
    /// makes the crawler. A builder builds once.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The builder has built its crawler already.</exception>
    public Crawler Build()
    {
        ThrowIfBuilt();
        if (!Options.IsFrozen)
        {
            Spider.ConfigureOptions(Options);
            Options.Validate();
        }

        OptionChecks.Require(Options.JobDir is null || Frontier is null, nameof(CrawlOptions.JobDir), "cannot be combined with a frontier given to the crawler");
        OptionChecks.Require(
            Options.Render.Mode == RenderMode.Never || Renderer is not null,
            "Render.Mode",
            $"is {Options.Render.Mode}, which needs a page renderer: give one with CrawlerBuilder.UseRenderer (Trawl.Browser's BrowserRenderer, say)");
        Options.Freeze();
        _built = true;
        return new Crawler(this);
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("This crawler builder has built its crawler; start another builder for another crawl.");
        }
    }
}
