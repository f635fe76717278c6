using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// Runs the spider's callback on a response and gathers what it yields: requests to schedule (one level deeper,
/// dropped past the depth limit, outside the allowed domains, or already in the job; their meta checked) and items
/// (serialized to JSON objects). It is the boundary around the spider's code: a callback that throws, or yields what
/// cannot be stored, fails its request as <c>callback</c> (or <c>unknown_callback</c>), and nothing it yielded is kept
/// (but for the batches of a page with thousands of links, below).
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
    ILogger logger)
{
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
        var discovered = new List<Request>();
        var items = new List<byte[]>();
        Uri? offsite = null;
        var offsiteCount = 0;
        var taken = 0;
        var truncated = 0;
        try
        {
            var callback = SpiderCallbacks.Resolve(spider, request.Callback);
            await foreach (var output in callback(response, cancellationToken).ConfigureAwait(false))
            {
                switch (output)
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
                            offsite ??= next.Url;
                            offsiteCount++;
                            break;
                        }

                        if (taken == maxLinksPerPage)
                        {
                            truncated++;
                            break;
                        }

                        taken++;
                        RequestJson.ValidateMeta(next);
                        RequestMeta.Validate(next);
                        if (job?.IsStored(next) == true)
                        {
                            // Already in the job: dropped now rather than held until the next group commit ignores it.
                            break;
                        }

                        discovered.Add(next);
                        if (discovered.Count == ScheduleBatch)
                        {
                            await ScheduleAsync(discovered, cancellationToken).ConfigureAwait(false);
                            discovered = [];
                        }

                        break;
                    default:
                        items.Add(SerializeItem(output));
                        break;
                }
            }
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
        catch (HtmlParseLimitException ex)
        {
            stats.Error(FailureKinds.ParseLimit);
            return outcomes.Fail(lease, FailureKinds.ParseLimit, ex.Message, response.Status);
        }
        catch (Exception ex)
        {
            var kind = ex is UnknownCallbackException ? FailureKinds.UnknownCallback : FailureKinds.Callback;
            return outcomes.Fault(lease, kind, "Callback " + (request.Callback ?? nameof(Spider.ParseAsync)), ex, response.Status);
        }

        if (offsiteCount > 0)
        {
            stats.Filtered("offsite", offsiteCount);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                Log.Offsite(logger, offsiteCount, scope!.ToString(), UrlRedaction.UrlForLog(offsite!));
            }
        }

        if (truncated > 0)
        {
            stats.Filtered("links_truncated", truncated);
            Log.LinksTruncated(logger, UrlRedaction.UrlForLog(request.Url), maxLinksPerPage!.Value, truncated);
        }

        return Completion.Done(lease, response.Status, discovered, items);
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

/// <summary>The frontier failed to take a batch of a page's requests; <see cref="Exception.InnerException"/> says why.</summary>
internal sealed class SchedulingFailedException(Exception inner) : Exception(inner.Message, inner);
