using Trawl.Downloader;
using Trawl.HttpCache;
using Trawl.Politeness;
using Trawl.Rendering;

namespace Trawl.Crawling;

/// <summary>
/// The settings of a crawl: concurrency, delays, limits, politeness, retries, the output and the job directory.
/// Defaults suit a polite crawl of one site.
/// </summary>
/// <remarks>
/// <para>These are settings only, plain values that can come from a command line or a configuration file. What a crawl
/// runs with besides (item pipelines, downloader middleware, a shared frontier or domain gate, a logger, a clock, a
/// progress sink) is given to <c>Trawl.Engine.CrawlerBuilder</c>.</para>
/// <para>Every option is validated once, when the crawler is built (after the spider's
/// <c>Spider.ConfigureOptions</c>), with a message that names the first bad one; the options are then frozen: changing
/// one (a setter, or adding to a list) while or after the crawl runs throws an <see cref="InvalidOperationException"/>
/// naming it.</para>
/// </remarks>
public sealed class CrawlOptions
{
    private readonly FreezableDictionary<string, DomainSettings> _domains = new(nameof(Domains), StringComparer.OrdinalIgnoreCase);
    private readonly FreezableList<string> _allowedDomains = new(nameof(AllowedDomains));
    private bool _frozen;

    /// <summary>How many requests may be in flight at once, across all domains.</summary>
    /// <value>The default is 16.</value>
    public int Concurrency { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = 16;

    /// <summary>
    /// How many requests may be in flight at once to one domain. A domain is a host name (or IP address): ports and
    /// schemes of one host share it, and subdomains are domains of their own.
    /// </summary>
    /// <value>The default is 8.</value>
    public int ConcurrencyPerDomain { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = 8;

    /// <summary>
    /// The most pages fetched from one domain in a run; further requests to it are recorded as skipped (kind
    /// <c>domain_limit</c>). Counts requests started in this run (retries of one request count once), so a resumed
    /// job counts afresh. <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? MaxPagesPerDomain { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// Settings for particular domains (concurrency, delay, page limit) that override the crawl-wide ones. A key covers
    /// that host and its subdomains; the most specific key wins. Keys compare case-insensitively.
    /// </summary>
    public IDictionary<string, DomainSettings> Domains => _domains;

    /// <summary>
    /// The domains the crawl may visit: each and its subdomains (<c>example.com</c> allows <c>www.example.com</c>). When
    /// not empty, it applies to every request: a discovered request outside it is dropped when scheduled (counted in
    /// <c>CrawlStats.FilteredByKind</c> as <c>offsite</c>), any other that reaches the dispatcher (a start URL, a
    /// request of a resumed job) is recorded as skipped (kind <c>offsite</c>), and a redirect out of it is not followed:
    /// the request fails as <c>redirect_blocked</c>, naming the target.
    /// </summary>
    /// <value>The default is empty: every domain.</value>
    public IList<string> AllowedDomains => _allowedDomains;

    /// <summary>AutoThrottle: per-domain delays that adapt to the site's latency.</summary>
    public AutoThrottleOptions AutoThrottle { get; } = new();

    /// <summary>Whether and how robots.txt is obeyed.</summary>
    public RobotsTxtOptions RobotsTxt { get; } = new();

    /// <summary>
    /// Incremental crawls: when a kept, finished job is run again, pages it fetched longer ago than this go back to
    /// pending and are fetched again (start pages always are). <see langword="null"/> to refetch only the start pages.
    /// Needs <see cref="JobDir"/>.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TimeSpan? RecrawlAfter { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>The most pages to fetch; the run stops (finished, not paused) once reached. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? Limit { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>The most items to produce; the run stops once reached. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? ItemLimit { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// The most requests taken from one page: those a callback yields past it (after the depth and domain checks) are
    /// dropped, counted in <c>CrawlStats.FilteredByKind</c> as <c>links_truncated</c>, and logged once per page as a
    /// warning. It bounds what one hostile or enormous page costs (a 16 MB page can hold a million links).
    /// <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default is 100,000.</value>
    public int? MaxLinksPerPage { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = 100_000;

    /// <summary>Requests deeper than this are not scheduled. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? MaxDepth { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// The output file. The format comes from its extension: <c>.jsonl</c>, <c>.json</c> or <c>.csv</c>. Items are
    /// appended to what the file holds (Scrapy's <c>-o</c>) unless <see cref="OverwriteOutput"/>: JSON Lines after its
    /// last line, a JSON array's items inside the array, CSV rows under its header. A file that belongs to an unfinished
    /// durable job is refused to any run but that job's.
    /// </summary>
    /// <value>The default is <see langword="null"/>: items are kept in the result (<c>CrawlResult.Items</c>).</value>
    public string? Output { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// Whether <see cref="Output"/> is emptied when a crawl starts writing it (Scrapy's <c>-O</c>) rather than appended
    /// to. A durable job resuming into an output it has written continues it either way.
    /// </summary>
    /// <value>The default is <see langword="false"/>: items are appended, and nothing the file held is lost.</value>
    public bool OverwriteOutput { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>The downloader's settings.</summary>
    public DownloaderOptions Downloader { get; } = new();

    /// <summary>Which failures are retried, how often, and how long to wait.</summary>
    public RetryOptions Retry { get; } = new();

    /// <summary>The HTTP cache: responses kept in a directory and served from it on later crawls. Off by default.</summary>
    public HttpCacheOptions HttpCache { get; } = new();

    /// <summary>
    /// Whether and how pages are rendered in a browser (<see cref="RenderOptions.Mode"/>: never, auto or always). Rendering
    /// needs a renderer given to the crawl (<c>CrawlerBuilder.UseRenderer</c>).
    /// </summary>
    public RenderOptions Render { get; } = new();

    /// <summary>
    /// The job directory of a durable crawl. <see langword="null"/> for an in-memory crawl (or one on a frontier given
    /// to the crawler, such as a Redis frontier, which keeps the state itself).
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? JobDir { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>Whether a finished job's directory is kept, for auditing and later incremental re-crawls.</summary>
    /// <value>The default is <see langword="false"/>: a job that finishes removes its directory (a paused one never does).</value>
    public bool KeepJob { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>Whether to move an existing job directory aside (to <c>DIR.bak-&lt;timestamp&gt;</c>) and start over.</summary>
    /// <value>The default is <see langword="false"/>: an existing job is resumed.</value>
    public bool FreshJob { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// The longest a finished request waits before it is committed to a durable frontier: the most finished
    /// work a crash can cost. Completions are committed in groups within this bound (sooner when the crawl would
    /// otherwise wait for them). <see cref="TimeSpan.Zero"/> commits every completion on its own.
    /// </summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan CheckpointInterval { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The delay between the starts of two requests to the same domain, scaled by a random factor in [0.5, 1.5) unless
    /// <see cref="RandomizeDownloadDelay"/> is off. A per-domain override (<see cref="Domains"/>), AutoThrottle, a
    /// request's <see cref="Http.RequestMeta.DownloadDelay"/> and robots.txt <c>Crawl-delay</c> may change it.
    /// </summary>
    /// <value>The default is zero.</value>
    public TimeSpan DownloadDelay { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); }

    /// <summary>
    /// Whether the domain delay is scaled by a random factor in [0.5, 1.5), as Scrapy does, so requests do not fall
    /// into lockstep. Factors are drawn in pairs per domain (f, then 2 − f), so the average delay stays the configured
    /// one. A robots.txt <c>Crawl-delay</c> is a floor and never randomized down.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RandomizeDownloadDelay { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = true;

    /// <summary>
    /// The longest parsing one page's HTML into a document may take. A page past it (thousands of nested elements cost
    /// time quadratic in the depth) is not parsed: its request fails as <c>parse_limit</c>, counting an attempt, and the
    /// crawl goes on. A pause lets a parse under way go on for at most two seconds more; a parse still running then
    /// stops, and that request goes back to pending, its attempt not counted.
    /// </summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan MaxParseTime { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most bytes of response bodies in flight: being downloaded, or downloaded and waiting for their callback to
    /// finish. A body's bytes are reserved as they arrive (all at once when its length is announced); a body that does
    /// not fit waits, its download's timeout stopped meanwhile, until enough of the others are done with, so a few
    /// large pages cannot fill memory however high <see cref="Concurrency"/> is. A body larger than the whole budget
    /// still proceeds, alone. <see langword="null"/> turns the budget off. Streamed fields and links read a UTF-8 page
    /// from its bytes; decoding a page to text costs about twice its bytes more while it is parsed, and a document
    /// built from it about ten times; neither is counted here.
    /// </summary>
    /// <value>The default is 16 MiB.</value>
    public long? MaxResponseBytesInFlight { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = DefaultMaxResponseBytesInFlight;

    /// <summary>The default of <see cref="MaxResponseBytesInFlight"/>: 16 MiB.</summary>
    public const long DefaultMaxResponseBytesInFlight = 16L << 20;

    /// <summary>How many items the result keeps when there is no <see cref="Output"/>.</summary>
    /// <value>The default is 100,000.</value>
    public int MaxResultItems { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = 100_000;

    /// <summary>How many items may wait for the pipelines and exporter before callbacks are held back.</summary>
    /// <value>The default is 1,024.</value>
    public int ItemBufferSize { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = 1024;

    /// <summary>How often the crawl's progress sink, if it has one, is told about the crawl.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan ProgressInterval { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether Ctrl+C and SIGTERM pause the crawl: the first pauses gracefully, the second stops at once. Turn it off
    /// in a host that handles the process's signals itself, and stop the crawl through its cancellation tokens.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool HandleSignals { get; set => field = OptionChecks.Set(_frozen, value, string.Empty); } = true;

    /// <summary>Whether the options are frozen: a crawl was built with them, and they can no longer change.</summary>
    public bool IsFrozen => _frozen;

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">An option is out of range or inconsistent with another.</exception>
    public void Validate()
    {
        OptionChecks.Require(Concurrency >= 1, nameof(Concurrency), "must be at least 1");
        OptionChecks.Require(ConcurrencyPerDomain >= 1, nameof(ConcurrencyPerDomain), "must be at least 1");
        OptionChecks.Require(Limit is null or > 0, nameof(Limit), "must be positive");
        OptionChecks.Require(ItemLimit is null or > 0, nameof(ItemLimit), "must be positive");
        OptionChecks.Require(MaxDepth is null or >= 0, nameof(MaxDepth), "must not be negative");
        OptionChecks.Require(MaxLinksPerPage is null or > 0, nameof(MaxLinksPerPage), "must be positive");
        OptionChecks.Require(MaxResultItems >= 0, nameof(MaxResultItems), "must not be negative");
        OptionChecks.Require(ItemBufferSize >= 1, nameof(ItemBufferSize), "must be at least 1");
        OptionChecks.Require(CheckpointInterval >= TimeSpan.Zero, nameof(CheckpointInterval), "must not be negative");
        OptionChecks.Require(DownloadDelay >= TimeSpan.Zero, nameof(DownloadDelay), "must not be negative");
        OptionChecks.Require(MaxParseTime > TimeSpan.Zero, nameof(MaxParseTime), "must be positive");
        OptionChecks.Require(MaxResponseBytesInFlight is null or > 0, nameof(MaxResponseBytesInFlight), "must be positive");
        OptionChecks.Require(MaxPagesPerDomain is null or > 0, nameof(MaxPagesPerDomain), "must be positive");
        OptionChecks.Require(RecrawlAfter is null || RecrawlAfter > TimeSpan.Zero, nameof(RecrawlAfter), "must be positive");
        OptionChecks.Require(RecrawlAfter is null || JobDir is not null, nameof(RecrawlAfter), "applies to a durable job: set JobDir too");
        foreach (var domain in AllowedDomains)
        {
            OptionChecks.Require(DomainNames.Normalize(domain) is not null, nameof(AllowedDomains), $"holds '{domain}', which is not a domain name (give a host such as example.com, not a URL)");
        }

        foreach (var (domain, settings) in Domains)
        {
            OptionChecks.Require(DomainNames.Normalize(domain) is not null, nameof(Domains), $"has the key '{domain}', which is not a domain name (give a host such as example.com, not a URL)");
            OptionChecks.Require(settings is not null, nameof(Domains), $"has no settings for '{domain}'");
            settings.Validate(domain);
        }

        AutoThrottle.Validate();
        RobotsTxt.Validate();
        OptionChecks.Require(ProgressInterval > TimeSpan.Zero, nameof(ProgressInterval), "must be positive");
        OptionChecks.Require(JobDir is null || !string.IsNullOrWhiteSpace(JobDir), nameof(JobDir), "must not be empty");
        Downloader.Validate();
        Retry.Validate();
        Render.Validate();
        HttpCache.Validate();
    }

    /// <summary>Refuses every later change to these options and the settings they hold. Called when a crawl is built.</summary>
    internal void Freeze()
    {
        _frozen = true;
        _domains.Freeze();
        _allowedDomains.Freeze();
        foreach (var settings in _domains.Values)
        {
            settings?.Freeze();
        }

        AutoThrottle.Freeze();
        RobotsTxt.Freeze();
        Downloader.Freeze();
        Retry.Freeze();
        Render.Freeze();
        HttpCache.Freeze();
    }
}
