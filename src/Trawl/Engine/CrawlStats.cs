namespace Trawl.Engine;

/// <summary>Counters of one crawl run, as a snapshot.</summary>
public sealed class CrawlStats
{
    /// <summary>Download attempts made (retries included).</summary>
    public long Requests { get; init; }

    /// <summary>Responses received, by HTTP status.</summary>
    public IReadOnlyDictionary<int, long> ResponsesByStatus { get; init; } = new Dictionary<int, long>();

    /// <summary>Requests completed as done (fetched and parsed).</summary>
    public long Pages { get; init; }

    /// <summary>Items produced by callbacks and committed.</summary>
    public long Items { get; init; }

    /// <summary>Items written to the exporter or kept in the result, after pipelines.</summary>
    public long ItemsExported { get; init; }

    /// <summary>Items dropped by a pipeline.</summary>
    public long ItemsDropped { get; init; }

    /// <summary>
    /// Items that failed on their way out: a pipeline threw on them (<c>pipeline_error</c>) or the exporter could not
    /// write them (<c>exporter_error</c>); <see cref="ErrorsByKind"/> counts them by kind. They are not exported, and a
    /// durable job records them (<c>trawl status</c> shows them) and never exports them later.
    /// </summary>
    public long ItemsFailed { get; init; }

    /// <summary>
    /// Items that failed on their way out, by kind (<c>pipeline_error</c>, <c>exporter_error</c>); the counts add up to
    /// <see cref="ItemsFailed"/>.
    /// </summary>
    public IReadOnlyDictionary<string, long> ItemsFailedByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>Requests retried: attempts that failed and were scheduled again.</summary>
    public long Retries { get; init; }

    /// <summary>Retries by the kind of failure that caused them, for example <c>http_503</c>; the counts add up to <see cref="Retries"/>.</summary>
    public IReadOnlyDictionary<string, long> RetriesByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>Requests that failed for good.</summary>
    public long Failed { get; init; }

    /// <summary>
    /// Requests that failed for good, by the kind of their last failure, for example <c>http_404</c>; the counts add up to
    /// <see cref="Failed"/>. Unlike <see cref="ErrorsByKind"/>, retried attempts are not in it.
    /// </summary>
    public IReadOnlyDictionary<string, long> FailedByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>Bytes of response bodies received (after content decoding), retries included; robots.txt files are not.</summary>
    public long BytesDownloaded { get; init; }

    /// <summary>Requests skipped on purpose (robots.txt, scope, page limits, middleware).</summary>
    public long Skipped { get; init; }

    /// <summary>
    /// Skipped requests by kind: <c>robots</c> (disallowed by robots.txt), <c>offsite</c> (outside the allowed
    /// domains), <c>domain_limit</c> (over the domain's page limit) or <c>middleware</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> SkippedByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// Discovered requests dropped before they were scheduled, by kind: <c>offsite</c> (outside the allowed domains),
    /// <c>max_depth</c> (deeper than the depth limit) or <c>links_truncated</c> (past the limit of requests taken from one
    /// page, <c>CrawlOptions.MaxLinksPerPage</c>). They are not recorded in the frontier.
    /// </summary>
    public IReadOnlyDictionary<string, long> FilteredByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// Download attempts made over plain HTTP (robots.txt not included). In auto mode a page that was fetched plainly and
    /// then rendered counts here and in <see cref="Rendered"/>.
    /// </summary>
    public long FetchedPlain { get; init; }

    /// <summary>Pages rendered in a browser (attempts, retries included); 0 when the crawl renders nothing.</summary>
    public long Rendered { get; init; }

    /// <summary>Start requests (depth 0: a spider's start requests, a shared crawl's seeds) that failed for good in this run.</summary>
    public long StartRequestsFailed { get; init; }

    /// <summary>
    /// Pages of a kept job's re-crawl asked for conditionally (with the <c>ETag</c> and <c>Last-Modified</c> stored when
    /// they were last fetched) and answered <c>304 Not Modified</c>: done without being parsed, no item written again.
    /// Counted in <see cref="Pages"/>.
    /// </summary>
    public long Unchanged { get; init; }

    /// <summary>Pages of a kept job's re-crawl asked for conditionally and answered in full: parsed again. Counted in <see cref="Pages"/>.</summary>
    public long Changed { get; init; }

    /// <summary>robots.txt files fetched. They are not pages: not in <see cref="Requests"/> or <see cref="Pages"/>.</summary>
    public long RobotsTxtFetches { get; init; }

    /// <summary>
    /// Error events by kind, for example <c>timeout</c>, <c>dns</c>, <c>http_503</c> or <c>callback</c>: each attempt that
    /// failed, whether it was retried or not (<see cref="FailedByKind"/> and <see cref="RetriesByKind"/> tell the two
    /// apart), each failed item (<c>pipeline_error</c>, <c>exporter_error</c>), and each fault of the spider's hooks
    /// (<c>on_start_error</c>, <c>start_requests_error</c>, <c>on_close_error</c>), which fails no request.
    /// </summary>
    public IReadOnlyDictionary<string, long> ErrorsByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Pages per second over the run.</summary>
    public double PagesPerSecond => Elapsed.TotalSeconds > 0 ? Pages / Elapsed.TotalSeconds : 0;
}
