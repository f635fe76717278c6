using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Politeness;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>Runs a spider's callback on one page without crawling: <c>await crawler.ParseAsync(request)</c>, what <c>trawl parse</c> does.</summary>
public static class CrawlerParseExtensions
{
    /// <summary>
    /// Fetches <paramref name="request"/> as the crawl would (its downloader settings, downloader middleware and HTTP
    /// cache, rendered in the browser when the crawl's render settings or the request's meta ask, one attempt, no
    /// robots.txt) and runs the callback the request names on the response, collecting what it
    /// yields without fetching any of it. Like Scrapy's <c>scrapy parse</c>: for trying a callback on a page.
    /// </summary>
    /// <remarks>
    /// The spider's <see cref="Spider.OnStartAsync"/> is called before the fetch and <see cref="Spider.OnCloseAsync"/>
    /// after; a hook that throws is logged and the parse goes on. Failures are results
    /// (<see cref="PageParseResult.ErrorKind"/>), never exceptions: a failed download, a status other than 2xx (the
    /// callback is not run, as in a crawl), a callback that throws.
    /// </remarks>
    /// <param name="crawler">The crawler: its spider, settings and runtime handles.</param>
    /// <param name="request">The page to fetch; its <see cref="Request.Callback"/> names the callback (the default, <see cref="Spider.ParseAsync"/>, when null).</param>
    /// <param name="cancellationToken">Stops the fetch or the callback; the task is then cancelled.</param>
    /// <exception cref="ArgumentException">The spider has no callback of the name the request gives; nothing was fetched.</exception>
    public static async Task<PageParseResult> ParseAsync(this Crawler crawler, Request request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crawler);
        ArgumentNullException.ThrowIfNull(request);
        var spider = crawler.Spider;
        if (!SpiderCallbacks.Exists(spider, request.Callback))
        {
            throw new ArgumentException($"Spider '{spider.Name}' has no callback named '{request.Callback}'. Its callbacks are: {string.Join(", ", SpiderCallbacks.Names(spider))}.", nameof(request));
        }

        var logger = crawler.LoggerFactory?.CreateLogger("Trawl.Parse." + spider.Name) ?? NullLogger.Instance;
        spider.Logger = logger;
        var cookies = crawler.Options.Downloader.UseCookies ? new CookieContainer() : null;
        var scope = CrawlScope.From(crawler.Options.AllowedDomains);
        using var fetcher = CrawlSetup.NewPageFetcher(crawler, CrawlDownloader.Create(crawler, logger, cookies, scope), cookies, scope, logger);
        await HookAsync(spider, nameof(Spider.OnStartAsync), FailureKinds.OnStartError, () => spider.OnStartAsync(resuming: false, cancellationToken), logger, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await FetchAndParseAsync(crawler, fetcher, request, cancellationToken).ConfigureAwait(false);
            result.Rendered = result.Response is not null && fetcher.Rendered > 0;
            return result;
        }
        finally
        {
            await HookAsync(spider, nameof(Spider.OnCloseAsync), FailureKinds.OnCloseError, () => spider.OnCloseAsync(CancellationToken.None), logger, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<PageParseResult> FetchAndParseAsync(Crawler crawler, IDownloader downloader, Request request, CancellationToken cancellationToken)
    {
        var middleware = new MiddlewareChain(crawler.Middleware);
        var passed = await middleware.ProcessRequestAsync(request, cancellationToken).ConfigureAwait(false);
        if (passed.Fault is { } requestFault)
        {
            return Failed(request, null, FailureKinds.MiddlewareError, requestFault);
        }

        if (passed.Value is not { } sent)
        {
            return new PageParseResult(request, null, [], [], "skipped", $"Skipped by {passed.SkippedBy!.GetType().Name}.", null);
        }

        var result = await downloader.DownloadAsync(sent, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var response = result.Response;
        if (response is null)
        {
            var recovered = await middleware.ProcessErrorAsync(sent, result, cancellationToken).ConfigureAwait(false);
            if (recovered.Fault is { } errorFault)
            {
                return Failed(sent, null, FailureKinds.MiddlewareError, errorFault);
            }

            if (recovered.Value is not { } recoveredResponse)
            {
                return new PageParseResult(sent, null, [], [], result.ErrorKind, result.Message ?? result.ErrorKind, null);
            }

            response = recoveredResponse;
        }

        var processed = await middleware.ProcessResponseAsync(response, cancellationToken).ConfigureAwait(false);
        if (processed.Fault is { } responseFault)
        {
            return Failed(sent, response, FailureKinds.MiddlewareError, responseFault);
        }

        response = processed.Value!;
        if (response.Status is < 200 or >= 300)
        {
            return new PageParseResult(sent, response, [], [], "http_" + response.Status, $"HTTP {response.Status} from {response.Url}: the callback is not run, as in a crawl.", null);
        }

        return await RunCallbackAsync(crawler, sent, response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<PageParseResult> RunCallbackAsync(Crawler crawler, Request request, Response response, CancellationToken cancellationToken)
    {
        response.ParseBudget = new HtmlParseBudget(crawler.TimeProvider, crawler.Options.MaxParseTime, cancellationToken);
        var items = new List<JsonObject>();
        var requests = new List<Request>();
        var callbackName = request.Callback ?? nameof(Spider.ParseAsync);
        try
        {
            var callback = SpiderCallbacks.Resolve(crawler.Spider, request.Callback);
            await foreach (var output in callback(response, cancellationToken).ConfigureAwait(false))
            {
                switch (output)
                {
                    case null:
                        break;
                    case Request next:
                        // Checked as a crawl checks what it schedules, so a request the crawl would refuse fails here too.
                        next.DeepenTo(request.Depth + 1);
                        RequestJson.ValidateMeta(next);
                        RequestMeta.Validate(next);
                        requests.Add(next);
                        break;
                    default:
                        items.Add(JsonNode.Parse(CallbackRunner.SerializeItem(output))!.AsObject());
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (HtmlParseLimitException ex)
        {
            return new PageParseResult(request, response, items, requests, FailureKinds.ParseLimit, ex.Message, ex);
        }
        catch (Exception ex)
        {
            return new PageParseResult(request, response, items, requests, FailureKinds.Callback, $"Callback {callbackName} threw {ex.GetType().Name}: {ex.Message}", ex);
        }

        return new PageParseResult(request, response, items, requests, null, null, null);
    }

    private static PageParseResult Failed(Request request, Response? response, string kind, MiddlewareFault fault) =>
        new(request, response, [], [], kind, $"{fault.Where} threw {fault.Exception.GetType().Name}: {fault.Exception.Message}", fault.Exception);

    private static async Task HookAsync(Spider spider, string hook, string kind, Func<ValueTask> call, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.SpiderHookFailed(logger, ex, spider.Name, hook, kind);
        }
    }
}
