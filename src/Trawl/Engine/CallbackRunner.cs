using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Sitemaps;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// Runs the spider's callback on a response and gathers what it yields: requests to schedule (one level deeper,
/// dropped past the depth limit, outside the allowed domains, or already in the job; their meta checked) and items
/// (serialized to JSON objects). It is the boundary around the spider's code: a callback that throws, or yields what
/// cannot be stored, fails its request as <c>callback</c> (or <c>unknown_callback</c>), and nothing it yielded is kept
/// (but for the batches of a page with thousands of links, below). A sitemap request's callback is the built-in
/// <see cref="SitemapCallback"/>, whose entries go the same way as a page's links.
/// </summary>
/// <remarks>
/// <para>A page gives at most <see cref="Crawling.CrawlOptions.MaxLinksPerPage"/> requests; those it yields past that are
/// dropped and counted as <c>links_truncated</c>. Its requests go to the frontier in batches of
/// <see cref="ScheduleBatch"/> while the callback runs, rather than all with its completion, so a page with a hundred
/// thousand links never holds them all: the frontier drops duplicates, so a batch scheduled by an attempt that does not
/// complete (a crash, a callback that throws later) costs nothing when the page is parsed again.</para>
/// <para>
/// Parsing the response's HTML (on the callback's first selector) gets a budget: a page that takes longer than
/// <see cref="Crawling.CrawlOptions.MaxParseTime"/> fails as <c>parse_limit</c>, and a parse still running
/// <see cref="CrawlLifetime.ParseGrace"/> after the crawl starts pausing stops, which <see cref="RunAsync"/> reports by
/// throwing <see cref="ParseInterruptedException"/>.</para>
/// </remarks>
internal sealed class CallbackRunner(
    Spider spider,
    int? maxDepth,
    CrawlScope? scope,
    SqliteFrontier? job,
    IFrontier frontier,
    int? maxLinksPerPage,
    RequestOutcomes outcomes,
    StatsCollector stats,
    TimeProvider time,
    TimeSpan maxParseTime,
    CancellationToken parseStopping,
    DateTimeOffset? rerunStart,
    ILogger logger)
{
    private readonly SitemapCallback _sitemaps = new(spider, scope, stats, rerunStart, logger);

    /// <summary>How many discovered requests a page gathers before they are scheduled while its callback goes on.</summary>
    internal const int ScheduleBatch = 1000;

    private static readonly JsonSerializerOptions ItemJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses <paramref name="response"/> to <paramref name="lease"/>'s request: done with what it yielded, or failed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the run stops at once.</exception>
    /// <exception cref="ParseInterruptedException">The crawl paused while the page was being parsed.</exception>
    /// <exception cref="SchedulingFailedException">The frontier failed to take a batch of the page's requests: the run cannot go on.</exception>
    public async Task<Completion> RunAsync(Lease lease, Response response, CancellationToken cancellationToken)
    {
        response.ParseBudget = new HtmlParseBudget(time, maxParseTime, parseStopping);
        var request = lease.Request;
        var output = new Output();
        var fault = await ContainAsync(
            () => CollectAsync(request, ResolveCallback(request)(response, cancellationToken), output, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        switch (fault)
        {
            case null:
                break;
            case SitemapException sitemap:
                return outcomes.Fail(lease, sitemap.Kind, sitemap.Message, response.Status);
            case HtmlParseLimitException:
                stats.Error(FailureKinds.ParseLimit);
                return outcomes.Fail(lease, FailureKinds.ParseLimit, fault.Message, response.Status);
            default:
                var kind = fault is UnknownCallbackException ? FailureKinds.UnknownCallback : FailureKinds.Callback;
                return outcomes.Fault(lease, kind, "Callback " + (request.Callback ?? nameof(Spider.ParseAsync)), fault, response.Status);
        }

        Report(request, output);
        return Completion.Done(lease, response.Status, output.Discovered, output.Items, output.Scheduled, PageValidators.From(response.Headers));
    }

    private SpiderCallback ResolveCallback(Request request) =>
        SitemapRequests.IsSitemap(request) ? _sitemaps.ParseAsync : SpiderCallbacks.Resolve(spider, request.Callback);

    /// <summary>
    /// Calls the error callback of <paramref name="failed"/>'s request (<see cref="Request.Errback"/>, or
    /// <see cref="Spider.OnErrorAsync"/>) with how it failed, and returns the failure with what it yielded. An error
    /// callback that throws is contained: counted and logged as <c>errback_error</c>, and the failure stands as it was,
    /// with nothing it yielded.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the run stops at once.</exception>
    /// <exception cref="ParseInterruptedException">The crawl paused while the error callback parsed the response.</exception>
    /// <exception cref="SchedulingFailedException">The frontier failed to take a batch of the requests: the run cannot go on.</exception>
    public async Task<Completion> RunErrbackAsync(Completion failed, Response? response, CancellationToken cancellationToken)
    {
        var lease = failed.Lease;
        var request = lease.Request;
        if (response is not null)
        {
            response.ParseBudget = new HtmlParseBudget(time, maxParseTime, parseStopping);
        }

        var output = new Output();
        var failure = new RequestFailure(request, failed.ErrorKind!, failed.Error!, failed.HttpStatus, response);
        var fault = await ContainAsync(
            () => CollectAsync(request, SpiderCallbacks.ResolveErrback(spider, request.Errback)(failure, cancellationToken), output, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (fault is not null)
        {
            stats.Error(FailureKinds.ErrbackError);
            Log.ErrbackFailed(logger, fault, request.Errback ?? nameof(Spider.OnErrorAsync), UrlRedaction.UrlForLog(request.Url), failed.ErrorKind!);
            return failed;
        }

        Report(request, output);
        return Completion.Failed(lease, failed.ErrorKind!, failed.Error!, failed.HttpStatus, output.Discovered, output.Items);
    }

    // Runs spider code, and returns what it threw, if anything: that is the spider's fault, and stays with its request.
    // Cancellation, a pause during a parse (as ParseInterruptedException) and a frontier failure stop more than the
    // request, and go on up.
    private async Task<Exception?> ContainAsync(Func<Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run().ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (ex.CancellationToken == parseStopping && parseStopping.IsCancellationRequested)
        {
            throw new ParseInterruptedException(ex);
        }
        catch (SchedulingFailedException)
        {
            throw;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    // Gathers what spider code yields for a request: requests (scoped, limited, checked, scheduled in batches) and items.
    private async Task CollectAsync(Request request, IAsyncEnumerable<object> outputs, Output output, CancellationToken cancellationToken)
    {
        await foreach (var yielded in outputs.ConfigureAwait(false))
        {
            switch (yielded)
            {
                case null:
                    break;
                case Request next:
                    next.DeepenTo(request.Depth + 1);
                    if (maxDepth is { } max && next.Depth > max)
                    {
                        stats.Filtered("max_depth");
                        break;
                    }

                    if (scope is not null && !scope.Allows(next.Url))
                    {
                        output.Offsite ??= next.Url;
                        output.OffsiteCount++;
                        break;
                    }

                    if (output.Taken == maxLinksPerPage)
                    {
                        output.Truncated++;
                        break;
                    }

                    output.Taken++;
                    RequestJson.ValidateMeta(next);
                    RequestMeta.Validate(next);
                    if (job?.IsStored(next) == true && !SitemapRequests.MayRefetch(next))
                    {
                        // Already in the job: dropped now rather than held until the next group commit ignores it. A
                        // sitemap entry with a lastmod goes on: the job refetches it when it changed since.
                        break;
                    }

                    output.Discovered.Add(next);
                    if (output.Discovered.Count == ScheduleBatch)
                    {
                        await ScheduleAsync(output.Discovered, cancellationToken).ConfigureAwait(false);
                        output.Scheduled += output.Discovered.Count;
                        output.Discovered = [];
                    }

                    break;
                default:
                    output.Items.Add(SerializeItem(yielded));
                    break;
            }
        }
    }

    private void Report(Request request, Output output)
    {
        if (output.OffsiteCount > 0)
        {
            stats.Filtered("offsite", output.OffsiteCount);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                Log.Offsite(logger, output.OffsiteCount, scope!.ToString(), UrlRedaction.UrlForLog(output.Offsite!));
            }
        }

        if (output.Truncated > 0)
        {
            stats.Filtered("links_truncated", output.Truncated);
            Log.LinksTruncated(logger, UrlRedaction.UrlForLog(request.Url), maxLinksPerPage!.Value, output.Truncated);
        }
    }

    // A failure here is the frontier's, not the spider's: it stops the run (as a failed commit does), not the request.
    private async ValueTask ScheduleAsync(List<Request> batch, CancellationToken cancellationToken)
    {
        try
        {
            await frontier.AddAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new SchedulingFailedException(ex);
        }
    }

    /// <summary>An item as the crawl stores and exports it: a JSON object.</summary>
    /// <exception cref="InvalidOperationException">The item does not serialize to a JSON object.</exception>
    internal static byte[] SerializeItem(object item)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(item, item.GetType(), ItemJson);
        if (json.Length == 0 || json[0] != (byte)'{')
        {
            throw new InvalidOperationException($"An item must serialize to a JSON object, but a {item.GetType().Name} did not.");
        }

        return json;
    }
}

/// <summary>The crawl paused while a page was being parsed: the parse stopped, and its request is not done.</summary>
internal sealed class ParseInterruptedException(Exception inner) : Exception("The crawl paused while the page was being parsed.", inner);

/// <summary>What spider code yielded for one request, gathered as it goes.</summary>
internal sealed class Output
{
    public List<Request> Discovered { get; set; } = [];

    public List<byte[]> Items { get; } = [];

    public Uri? Offsite { get; set; }

    public int OffsiteCount { get; set; }

    public int Taken { get; set; }

    public int Truncated { get; set; }

    /// <summary>How many of its requests were already scheduled, in batches, while it ran.</summary>
    public int Scheduled { get; set; }
}

/// <summary>The frontier failed to take a batch of a page's requests; <see cref="Exception.InnerException"/> says why.</summary>
internal sealed class SchedulingFailedException(Exception inner) : Exception(inner.Message, inner);
