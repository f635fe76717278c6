using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Sitemaps;

namespace Trawl.Spiders;

/// <summary>
/// The base class of every spider: where a crawl starts and how its pages are parsed.
/// </summary>
/// <remarks>
/// Run one with <c>spider.RunAsync(options)</c> (an extension method in <c>Trawl.Engine</c>), or build a
/// <c>Trawl.Engine.Crawler</c> with <c>CrawlerBuilder</c> to give the crawl pipelines, middleware and the like.
/// </remarks>
/// <example>
/// <code>
/// public sealed class QuotesSpider : Spider
/// {
///     public override string Name => "quotes";
///     public override IEnumerable&lt;string&gt; StartUrls => ["https://quotes.toscrape.com/"];
///
///     public override async IAsyncEnumerable&lt;object&gt; ParseAsync(Response response, [EnumeratorCancellation] CancellationToken ct)
///     {
///         foreach (var quote in response.Css("div.quote"))
///             yield return new { text = quote.Css("span.text::text").Get(), author = quote.Css("small.author::text").Get() };
///         var next = response.Css("li.next a::attr(href)").Get();
///         if (next is not null) yield return response.Follow(next, ParseAsync);
///     }
/// }
/// </code>
/// </example>
public abstract class Spider
{
    private ILogger _logger = NullLogger.Instance;

    /// <summary>The spider's name: it names the job directory and the Redis keys of its crawl.</summary>
    /// <value>The default is the class name.</value>
    public virtual string Name => GetType().Name;

    /// <summary>The URLs the crawl starts from. Each becomes a request parsed by <see cref="ParseAsync"/>.</summary>
    public virtual IEnumerable<string> StartUrls => [];

    /// <summary>
    /// Sitemaps the crawl starts from: each a sitemap, a sitemap index or a robots.txt whose <c>Sitemap:</c> lines are
    /// read, gzipped or not. Their pages go to the callbacks of <see cref="SitemapRules"/>.
    /// </summary>
    /// <value>The default is none.</value>
    public virtual IEnumerable<string> SitemapUrls => [];

    /// <summary>
    /// Which callback parses each page a sitemap lists: the first rule whose pattern matches the page's URL. A page no rule
    /// matches is dropped (counted as <c>sitemap_rules</c>). The page's request carries the entry's <c>lastmod</c>: read it
    /// with <c>SitemapRequests.LastModified(response.Request)</c>.
    /// </summary>
    /// <value>The default is empty: every page goes to <see cref="ParseAsync"/>.</value>
    public virtual IReadOnlyList<SitemapRule> SitemapRules => [];

    /// <summary>
    /// The log level this spider asks for when whoever runs it does not set one: the command line without
    /// <c>--log-level</c>, or code that gives the crawl no logger factory (<c>CrawlerBuilder.UseLoggerFactory</c>), where
    /// it is the console's threshold (the closing summary is shown whatever it is, unless it is
    /// <see cref="Microsoft.Extensions.Logging.LogLevel.None"/>) and the log file's. A host that passes its own logger
    /// factory decides its levels itself.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the command line's default; from code, warnings on the console and information in the file.</value>
    public virtual LogLevel? LogLevel => null;

    /// <summary>
    /// A file this spider's crawl also appends its log to when whoever runs it does not name one: the command line
    /// without <c>--log-file</c>, or code that gives the crawl no logger factory. A host that passes its own logger
    /// factory adds a <c>Trawl.Logging.FileLoggerProvider</c> to it instead. A file that cannot be opened stops the
    /// crawl before it starts (an <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> from
    /// <c>RunAsync</c>; on the command line, exit code 2).
    /// </summary>
    /// <value>The default is <see langword="null"/>: no log file.</value>
    public virtual string? LogFile => null;

    /// <summary>The spider's own key/value store, persisted by durable jobs and restored on resume.</summary>
    public SpiderState State { get; } = new();

    /// <summary>The logger of the running crawl.</summary>
    public ILogger Logger
    {
        get => _logger;
        internal set => _logger = value ?? NullLogger.Instance;
    }

    /// <summary>
    /// What defines this spider's crawl, for the settings fingerprint of a durable job: a job resumed with different
    /// settings warns. The default is the spider's type.
    /// </summary>
    internal virtual string SettingsText => GetType().FullName ?? GetType().Name;

    /// <summary>
    /// Returns the first requests of a crawl. Not called when a durable job resumes.
    /// </summary>
    /// <remarks>
    /// The default makes one request from each of <see cref="StartUrls"/>, then a sitemap request
    /// (<c>SitemapRequests.Create</c>) from each of <see cref="SitemapUrls"/>. If it throws, the requests yielded before are
    /// crawled and the error is logged and counted (<c>start_requests_error</c>).
    /// </remarks>
    public virtual IEnumerable<Request> StartRequests()
    {
        foreach (var url in StartUrls)
        {
            yield return new Request(url);
        }

        foreach (var url in SitemapUrls)
        {
            yield return SitemapRequests.Create(url);
        }
    }

    /// <summary>
    /// Whether a page a sitemap lists is crawled, beside the rules, the allowed domains and the host check; the
    /// declarative spider applies its allow and deny rules here.
    /// </summary>
    internal virtual bool AllowsSitemapEntry(Uri url) => true;

    /// <summary>Parses a response: yields items and requests. The default callback.</summary>
    public abstract IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken);

    /// <summary>
    /// The default error callback: called once when a request that names no <see cref="Request.Errback"/> finally
    /// fails, after its retries, with how it failed. It may yield items and requests, like a callback; they are
    /// committed with the request's failure, exactly once. The default yields nothing. If it throws, the error is
    /// logged and counted (<c>errback_error</c>), nothing it yielded is kept, and the request stays failed.
    /// </summary>
    public virtual async IAsyncEnumerable<object> OnErrorAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }

    /// <summary>
    /// HTTP statuses whose responses reach the request's callback as responses instead of failing it (Scrapy's
    /// <c>handle_httpstatus_list</c>): <c>[404, 410]</c> to see pages that are gone. A request adds its own with
    /// <see cref="RequestMeta.AllowStatus"/>.
    /// </summary>
    /// <value>The default is none: any status outside 200-299 fails the request (after retries, for the retried ones).</value>
    public virtual IReadOnlyCollection<int> AllowedStatuses => [];

    /// <summary>
    /// Lets a spider adjust the crawl's settings before the crawl starts: its concurrency and delays, robots.txt,
    /// allowed domains, AutoThrottle, user agents, proxies and the like. Called once, when the crawler is built: after
    /// the command line has applied its flags (so what the spider sets here wins) and before the options are validated
    /// and frozen.
    /// </summary>
    public virtual void ConfigureOptions(CrawlOptions options)
    {
    }

    /// <summary>
    /// Auto mode (<see cref="RenderMode.Auto"/>): whether a page fetched over plain HTTP needs rendering in the browser
    /// (it is then rendered, and what rendering gave is compared with the plain page to learn about its pattern). Called
    /// only for HTML pages with a 2xx status. If it throws, the error is logged and the page is kept as fetched.
    /// </summary>
    /// <remarks>
    /// The default takes a page for an application shell that its scripts fill in: it has a <c>script</c> element and
    /// under 200 characters of visible text. Override it when the spider knows better, for example when a field it needs
    /// is missing: <c>return base.NeedsRendering(response) || response.Css("h1.title").Get() is null;</c>.
    /// </remarks>
    public virtual bool NeedsRendering(Response response) => PageSignals.Of(response).LooksLikeAppShell;

    /// <summary>
    /// Called once before the first request. <paramref name="resuming"/> is true when a durable job resumes. If it throws,
    /// the error is logged and counted (<c>on_start_error</c>) and the crawl runs anyway.
    /// </summary>
    public virtual ValueTask OnStartAsync(bool resuming, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Called once when the crawl ends, whether it finished or paused. If it throws, the error is logged and counted
    /// (<c>on_close_error</c>) and the run's result stands.
    /// </summary>
    public virtual ValueTask OnCloseAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
