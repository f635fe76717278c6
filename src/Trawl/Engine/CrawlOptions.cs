using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Middleware;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>
/// Options of one crawl run. Defaults suit a polite crawl of one site; every option is validated once,
/// when the run starts, with a message that names it.
/// </summary>
public sealed class CrawlOptions
{
    /// <summary>How many requests may be in flight at once, across all domains.</summary>
    /// <value>The default is 16.</value>
    public int Concurrency { get; set; } = 16;

    /// <summary>
    /// How many requests may be in flight at once to one domain. A domain is a host name (or IP address): ports and
    /// schemes of one host share it, and subdomains are domains of their own.
    /// </summary>
    /// <value>The default is 8.</value>
    public int ConcurrencyPerDomain { get; set; } = 8;

    /// <summary>
    /// The most pages fetched from one domain in a run; further requests to it are recorded as skipped (kind
    /// <c>domain_limit</c>). Counts requests started in this run (retries of one request count once), so a resumed
    /// job counts afresh. <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? MaxPagesPerDomain { get; set; }

    /// <summary>
    /// Settings for particular domains (concurrency, delay, page limit) that override the crawl-wide ones. A key covers
    /// that host and its subdomains; the most specific key wins. Keys compare case-insensitively.
    /// </summary>
    public IDictionary<string, DomainSettings> Domains { get; } = new Dictionary<string, DomainSettings>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The domains the crawl may visit: each and its subdomains (<c>example.com</c> allows <c>www.example.com</c>). When
    /// not empty, it applies to every request: a discovered request outside it is dropped when scheduled (counted in
    /// <see cref="CrawlStats.FilteredByKind"/> as <c>offsite</c>), any other that reaches the dispatcher (a start URL, a
    /// request of a resumed job) is recorded as skipped (kind <c>offsite</c>), and a redirect out of it is not followed:
    /// the request fails as <c>redirect_blocked</c>, naming the target.
    /// </summary>
    /// <value>The default is empty: every domain.</value>
    public IList<string> AllowedDomains { get; } = [];

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
    public TimeSpan? RecrawlAfter { get; set; }

    /// <summary>The most pages to fetch; the run stops (finished, not paused) once reached. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? Limit { get; set; }

    /// <summary>The most items to produce; the run stops once reached. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? ItemLimit { get; set; }

    /// <summary>Requests deeper than this are not scheduled. <see langword="null"/> for no limit.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? MaxDepth { get; set; }

    /// <summary>The output file. The format comes from its extension: <c>.jsonl</c>, <c>.json</c> or <c>.csv</c>.</summary>
    /// <value>The default is <see langword="null"/>: items are kept in <see cref="CrawlResult.Items"/>.</value>
    public string? Output { get; set; }

    /// <summary>Item pipelines, run in order on every item before it is exported.</summary>
    public IList<ItemPipeline> Pipelines { get; } = [];

    /// <summary>Downloader middleware, run in order on requests and in reverse order on responses.</summary>
    public IList<DownloaderMiddleware> Middleware { get; } = [];

    /// <summary>The downloader's settings.</summary>
    public DownloaderOptions Downloader { get; } = new();

    /// <summary>Which failures are retried, how often, and how long to wait.</summary>
    public RetryOptions Retry { get; } = new();

    /// <summary>
    /// A frontier to use instead of the in-memory one, for example a Redis frontier. Its owner disposes it.
    /// </summary>
    /// <value>The default is <see langword="null"/>: a new in-memory frontier (or the job directory's, when <see cref="JobDir"/> is set).</value>
    public IFrontier? Frontier { get; set; }

    /// <summary>
    /// A gate each request to a domain must pass just before it starts, after the per-domain limits above: for limits
    /// shared beyond this process, such as a cluster-wide rate per domain (<c>Trawl.Redis.RedisDomainLimiter</c>). A
    /// refusal defers only that domain. Its owner keeps it alive for the run. See <see cref="IDomainGate"/>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no gate, and no cost.</value>
    public IDomainGate? DomainGate { get; set; }

    /// <summary>The job directory of a durable crawl. <see langword="null"/> for an in-memory crawl.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? JobDir { get; set; }

    /// <summary>Whether a finished job's directory is kept, for auditing and later incremental re-crawls.</summary>
    /// <value>The default is <see langword="false"/>: a job that finishes removes its directory (a paused one never does).</value>
    public bool KeepJob { get; set; }

    /// <summary>Whether to move an existing job directory aside (to <c>DIR.bak-&lt;timestamp&gt;</c>) and start over.</summary>
    /// <value>The default is <see langword="false"/>: an existing job is resumed.</value>
    public bool FreshJob { get; set; }

    /// <summary>An alias of <see cref="JobDir"/> for users coming from Scrapling.</summary>
    public string? CrawlDir
    {
        get => JobDir;
        set => JobDir = value;
    }

    /// <summary>
    /// The longest a finished request waits before it is committed to a durable frontier: the most finished
    /// work a crash can cost. Completions are committed in groups within this bound (sooner when the crawl would
    /// otherwise wait for them). <see cref="TimeSpan.Zero"/> commits every completion on its own.
    /// </summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The delay between the starts of two requests to the same domain, scaled by a random factor in [0.5, 1.5) unless
    /// <see cref="RandomizeDownloadDelay"/> is off. A per-domain override (<see cref="Domains"/>), AutoThrottle, a
    /// request's <see cref="Http.RequestMeta.DownloadDelay"/> and robots.txt <c>Crawl-delay</c> may change it.
    /// </summary>
    /// <value>The default is zero.</value>
    public TimeSpan DownloadDelay { get; set; }

    /// <summary>
    /// Whether the domain delay is scaled by a random factor in [0.5, 1.5), as Scrapy does, so requests do not fall
    /// into lockstep. Factors are drawn in pairs per domain (f, then 2 − f), so the average delay stays the configured
    /// one. A robots.txt <c>Crawl-delay</c> is a floor and never randomized down.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RandomizeDownloadDelay { get; set; } = true;

    /// <summary>
    /// The longest parsing one page's HTML into a document may take. A page past it (thousands of nested elements cost
    /// time quadratic in the depth) is not parsed: its request fails as <c>parse_limit</c>, counting an attempt, and the
    /// crawl goes on. A pause lets a parse under way go on for at most two seconds more; a parse still running then
    /// stops, and that request goes back to pending, its attempt not counted.
    /// </summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan MaxParseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many items the result keeps when there is no <see cref="Output"/>.</summary>
    /// <value>The default is 100,000.</value>
    public int MaxResultItems { get; set; } = 100_000;

    /// <summary>How many items may wait for the pipelines and exporter before callbacks are held back.</summary>
    /// <value>The default is 1,024.</value>
    public int ItemBufferSize { get; set; } = 1024;

    /// <summary>How often <see cref="Progress"/> is told about the crawl.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Told about the crawl every <see cref="ProgressInterval"/>, and once at the end.</summary>
    public IProgress<CrawlProgress>? Progress { get; set; }

    /// <summary>
    /// Whether Ctrl+C and SIGTERM pause the crawl: the first pauses gracefully, the second stops at once.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool HandleSignals { get; set; } = true;

    /// <summary>Cancelling this token stops the crawl at once, abandoning in-flight requests.</summary>
    public CancellationToken AbortToken { get; set; }

    /// <summary>The clock for delays, leases and retries.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the crawl logs.</summary>
    /// <value>The default is <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Require(Concurrency >= 1, nameof(Concurrency), "must be at least 1");
        Require(ConcurrencyPerDomain >= 1, nameof(ConcurrencyPerDomain), "must be at least 1");
        Require(Limit is null or > 0, nameof(Limit), "must be positive");
        Require(ItemLimit is null or > 0, nameof(ItemLimit), "must be positive");
        Require(MaxDepth is null or >= 0, nameof(MaxDepth), "must not be negative");
        Require(MaxResultItems >= 0, nameof(MaxResultItems), "must not be negative");
        Require(ItemBufferSize >= 1, nameof(ItemBufferSize), "must be at least 1");
        Require(CheckpointInterval >= TimeSpan.Zero, nameof(CheckpointInterval), "must not be negative");
        Require(DownloadDelay >= TimeSpan.Zero, nameof(DownloadDelay), "must not be negative");
        Require(MaxParseTime > TimeSpan.Zero, nameof(MaxParseTime), "must be positive");
        Require(MaxPagesPerDomain is null or > 0, nameof(MaxPagesPerDomain), "must be positive");
        Require(RecrawlAfter is null || RecrawlAfter > TimeSpan.Zero, nameof(RecrawlAfter), "must be positive");
        Require(RecrawlAfter is null || JobDir is not null, nameof(RecrawlAfter), "applies to a durable job: set JobDir too");
        foreach (var domain in AllowedDomains)
        {
            Require(DomainNames.Normalize(domain) is not null, nameof(AllowedDomains), $"holds '{domain}', which is not a domain name (give a host such as example.com, not a URL)");
        }

        foreach (var (domain, settings) in Domains)
        {
            Require(DomainNames.Normalize(domain) is not null, nameof(Domains), $"has the key '{domain}', which is not a domain name (give a host such as example.com, not a URL)");
            Require(settings is not null, nameof(Domains), $"has no settings for '{domain}'");
            settings!.Validate(domain);
        }

        AutoThrottle.Validate();
        RobotsTxt.Validate();
        Require(ProgressInterval > TimeSpan.Zero, nameof(ProgressInterval), "must be positive");
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null");
        Require(JobDir is null || !string.IsNullOrWhiteSpace(JobDir), nameof(JobDir), "must not be empty");
        Require(JobDir is null || Frontier is null, nameof(JobDir), "cannot be combined with a custom Frontier");
        Downloader.Validate();
        Retry.Validate();
    }

    internal static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Crawl option {option} {problem}.", option);
        }
    }
}
