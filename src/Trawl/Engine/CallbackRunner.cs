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
/// cannot be stored, fails its request as <c>callback</c> (or <c>unknown_callback</c>), and nothing it yielded is kept.
/// </summary>
/// <remarks>
/// Parsing the response's HTML (on the callback's first selector) gets a budget: a page that takes longer than
/// <see cref="Crawling.CrawlOptions.MaxParseTime"/> fails as <c>parse_limit</c>, and a parse still running
/// <see cref="CrawlLifetime.ParseGrace"/> after the crawl starts pausing stops, which <see cref="RunAsync"/> reports by
/// throwing <see cref="ParseInterruptedException"/>.
/// </remarks>
internal sealed class CallbackRunner(
    Spider spider,
    int? maxDepth,
    CrawlScope? scope,
    SqliteFrontier? job,
    RequestOutcomes outcomes,
    StatsCollector stats,
    TimeProvider time,
    TimeSpan maxParseTime,
    CancellationToken parseStopping,
    ILogger logger)
{
    private static readonly JsonSerializerOptions ItemJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses <paramref name="response"/> to <paramref name="lease"/>'s request: done with what it yielded, or failed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the run stops at once.</exception>
    /// <exception cref="ParseInterruptedException">The crawl paused while the page was being parsed.</exception>
    public async Task<Completion> RunAsync(Lease lease, Response response, CancellationToken cancellationToken)
    {
        response.ParseBudget = new HtmlParseBudget(time, maxParseTime, parseStopping);
        var request = lease.Request;
        var discovered = new List<Request>();
        var items = new List<byte[]>();
        Uri? offsite = null;
        var offsiteCount = 0;
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

                        RequestJson.ValidateMeta(next);
                        RequestMeta.Validate(next);
                        if (job?.IsStored(next) == true)
                        {
                            // Already in the job: dropped now rather than held until the next group commit ignores it.
                            break;
                        }

                        discovered.Add(next);
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

        return Completion.Done(lease, response.Status, discovered, items);
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
