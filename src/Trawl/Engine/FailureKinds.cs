namespace Trawl.Engine;

/// <summary>
/// The error kinds the engine gives to faults of code it runs (the spider's, downloader middleware's, its own), as they
/// appear in <see cref="CrawlStats.ErrorsByKind"/>, a request's recorded error and <c>trawl status</c>. Downloads have
/// theirs (<c>timeout</c>, <c>dns</c>, <c>http_404</c> …, see <c>DownloadErrors</c>); items that a pipeline or the exporter
/// failed have <c>pipeline_error</c> and <c>exporter_error</c> (see <c>ItemFeed</c>).
/// </summary>
internal static class FailureKinds
{
    /// <summary>A downloader middleware threw from one of its hooks: its request fails, without retries.</summary>
    public const string MiddlewareError = "middleware_error";

    /// <summary>The spider's callback threw while parsing a response (or yielded what cannot be stored): its request fails.</summary>
    public const string Callback = "callback";

    /// <summary>
    /// A request's error callback (or <c>Spider.OnErrorAsync</c>) threw, or names a method the spider does not have:
    /// counted as an error; the request stays failed as it was, with nothing the error callback yielded.
    /// </summary>
    public const string ErrbackError = "errback_error";

    /// <summary>A stored request names a callback the spider no longer has: it fails.</summary>
    public const string UnknownCallback = "unknown_callback";

    /// <summary>
    /// A page took longer to parse than <see cref="Crawling.CrawlOptions.MaxParseTime"/>: its request fails, counting an attempt,
    /// without retries (the page would cost the same again).
    /// </summary>
    public const string ParseLimit = "parse_limit";

    /// <summary>
    /// A bug in the engine itself while handling one request: that request fails, with the exception logged, instead of
    /// stalling the crawl.
    /// </summary>
    public const string InternalError = "internal_error";

    /// <summary>The spider's <c>StartRequests</c> threw: the start requests it yielded before are crawled, the rest never existed.</summary>
    public const string StartRequestsError = "start_requests_error";

    /// <summary>The spider's <c>OnStartAsync</c> threw: logged and counted, and the crawl runs anyway.</summary>
    public const string OnStartError = "on_start_error";

    /// <summary>The spider's <c>OnCloseAsync</c> threw: logged and counted; the run's result stands.</summary>
    public const string OnCloseError = "on_close_error";
}
