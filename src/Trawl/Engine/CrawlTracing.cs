using System.Diagnostics;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Logging;

namespace Trawl.Engine;

/// <summary>
/// The crawl's traces: spans (<see cref="Activity"/>) on the <see cref="ActivitySource"/> named <see cref="SourceName"/>,
/// beside the <see cref="CrawlMetrics"/> meter of the same name. Listen with OpenTelemetry
/// (<c>AddSource(CrawlTracing.SourceName)</c>) or an <see cref="ActivityListener"/>; <c>trawl</c> exports them over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
/// <remarks>
/// <para>The spans:</para>
/// <list type="bullet">
/// <item><c>trawl.crawl</c>: one run of a crawler, from start to finish or pause (tags <c>trawl.spider</c>, and at the end
/// <c>trawl.pages</c>, <c>trawl.items</c>, <c>trawl.failed</c>, <c>trawl.paused</c>; an error that stopped the run sets the
/// status to error and <c>error.type</c>). Its parent is whatever span was current when the run started.</item>
/// <item><c>trawl.request</c>: one attempt at one request, from the moment it starts to its completion (tags
/// <c>trawl.spider</c>, <c>url.full</c>, <c>server.address</c>, <c>trawl.attempt</c>, <c>trawl.depth</c>, and at the end
/// <c>trawl.outcome</c>: <c>done</c>, <c>retry</c>, <c>failed</c> or <c>skipped</c>, with <c>error.type</c>, the failure kind,
/// for all but <c>done</c>). Each one starts a trace of its own, linked to the <c>trawl.crawl</c> span, so that a sampler
/// decides per request and a long crawl is not one trace of millions of spans.</item>
/// <item><c>trawl.download</c> (kind client), child of <c>trawl.request</c>: the download, redirects included (tags
/// <c>http.request.method</c>, <c>url.full</c>, <c>server.address</c>, <c>http.response.status_code</c>,
/// <c>http.response.body.size</c>; <c>error.type</c> is the download error, such as <c>timeout</c> or <c>dns</c>, or the
/// status code from 400 on, which also set the status to error).</item>
/// <item><c>trawl.parse</c>, child of <c>trawl.request</c>: the spider's callback on the response (tags
/// <c>trawl.callback</c>, and <c>trawl.items</c> and <c>trawl.requests</c> yielded; a callback that fails sets
/// <c>error.type</c>).</item>
/// <item><c>trawl.commit</c>: one group commit of completed requests to the job or the frontier (tags
/// <c>trawl.requests</c>, <c>trawl.items</c>, <c>trawl.durable</c>); a trace of its own, linked to <c>trawl.crawl</c>.</item>
/// </list>
/// <para>URLs are recorded as <c>url.full</c> without user name, password, query or fragment. With no listener, or one
/// whose sampler drops the span, a span costs one check and nothing is recorded.</para>
/// </remarks>
public static class CrawlTracing
{
    /// <summary>The name of the activity source: <c>Trawl</c>, as the meter's (<see cref="CrawlMetrics.MeterName"/>).</summary>
    public const string SourceName = CrawlMetrics.MeterName;

    internal const string CrawlSpan = "trawl.crawl";
    internal const string RequestSpan = "trawl.request";
    internal const string DownloadSpan = "trawl.download";
    internal const string ParseSpan = "trawl.parse";
    internal const string CommitSpan = "trawl.commit";

    internal static readonly ActivitySource Source = new(SourceName, typeof(CrawlTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of a crawl run, as a child of the current span; null when nobody samples it.</summary>
    internal static Activity? StartCrawl(string spider)
    {
        var span = Source.StartActivity(CrawlSpan, ActivityKind.Internal);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("trawl.spider", spider);
        }

        return span;
    }

    /// <summary>Records how a run ended on its span.</summary>
    internal static void CrawlEnded(Activity? span, CrawlResult result)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        span.SetTag("trawl.pages", result.Stats.Pages);
        span.SetTag("trawl.items", result.Stats.Items);
        span.SetTag("trawl.failed", result.Stats.Failed);
        span.SetTag("trawl.paused", result.Paused);
        if (result.Failure is { } failure)
        {
            span.SetTag("error.type", failure.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, result.Error);
        }
    }

    /// <summary>
    /// Records on <paramref name="span"/> the exception ending it. Returns <see langword="false"/>, to be used as an
    /// exception filter that leaves the exception to go on.
    /// </summary>
    internal static bool Failed(Activity? span, Exception exception)
    {
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("error.type", exception.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, exception.Message);
        }

        return false;
    }

    /// <summary>
    /// Starts the span of one request attempt, the root of a trace of its own, linked to the span current now (the
    /// crawl's). It becomes the current span: call it from the async method that handles the request, whose flow it
    /// changes and which its caller does not see.
    /// </summary>
    internal static Activity? StartRequest(string spider, Lease lease, string domain)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var crawl = Activity.Current;
        Activity.Current = null;
        var span = Source.StartActivity(RequestSpan, ActivityKind.Internal, parentContext: default, links: Link(crawl));
        if (span is { IsAllDataRequested: true })
        {
            var request = lease.Request;
            span.SetTag("trawl.spider", spider);
            span.SetTag("url.full", UrlRedaction.UrlForLog(request.Url));
            span.SetTag("server.address", domain);
            span.SetTag("trawl.attempt", lease.Attempt);
            span.SetTag("trawl.depth", request.Depth);
        }

        return span;
    }

    /// <summary>Records how a request ended on its span.</summary>
    internal static void RequestEnded(Activity? span, Completion completion)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        span.SetTag("trawl.outcome", Outcome(completion.Status));
        if (completion.HttpStatus is { } status)
        {
            span.SetTag("http.response.status_code", status);
        }

        if (completion.Status != CompletionStatus.Done)
        {
            span.SetTag("error.type", completion.ErrorKind);
        }

        if (completion.Status is CompletionStatus.Failed or CompletionStatus.Retry)
        {
            span.SetStatus(ActivityStatusCode.Error, completion.ErrorKind);
        }
    }

    /// <summary>Downloads <paramref name="request"/>, in a <c>trawl.download</c> span when someone listens.</summary>
    internal static ValueTask<DownloadResult> DownloadAsync(IDownloader downloader, Request request, ResponseByteBudget.Share? bytes, string domain, CancellationToken cancellationToken) =>
        Source.HasListeners() ? TracedDownloadAsync(downloader, request, bytes, domain, cancellationToken) : downloader.DownloadAsync(request, bytes, cancellationToken);

    /// <summary>Runs the callback on <paramref name="response"/>, in a <c>trawl.parse</c> span when someone listens.</summary>
    internal static Task<Completion> ParseAsync(CallbackRunner callbacks, Lease lease, Response response, CancellationToken cancellationToken) =>
        Source.HasListeners() ? TracedParseAsync(callbacks, lease, response, cancellationToken) : callbacks.RunAsync(lease, response, cancellationToken);

    /// <summary>
    /// Commits <paramref name="batch"/> with <paramref name="commit"/>, in a <c>trawl.commit</c> span (a trace of its own,
    /// linked to the crawl's span) when someone listens.
    /// </summary>
    internal static ValueTask CommitAsync(Func<List<Completion>, ValueTask> commit, List<Completion> batch, bool durable) =>
        Source.HasListeners() ? TracedCommitAsync(commit, batch, durable) : commit(batch);

    // Each of these is an async method of its own, so the span it makes current is current only inside it.
    private static async ValueTask<DownloadResult> TracedDownloadAsync(IDownloader downloader, Request request, ResponseByteBudget.Share? bytes, string domain, CancellationToken cancellationToken)
    {
        using var span = Source.StartActivity(DownloadSpan, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("http.request.method", request.Method);
            span.SetTag("url.full", UrlRedaction.UrlForLog(request.Url));
            span.SetTag("server.address", domain);
        }

        var result = await downloader.DownloadAsync(request, bytes, cancellationToken).ConfigureAwait(false);
        if (span is { IsAllDataRequested: true })
        {
            if (result.Response is { } response)
            {
                span.SetTag("http.response.status_code", response.Status);
                span.SetTag("http.response.body.size", response.Body.Length);
                if (response.Status >= 400)
                {
                    span.SetTag("error.type", response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    span.SetStatus(ActivityStatusCode.Error);
                }
            }
            else
            {
                span.SetTag("error.type", result.ErrorKind);
                span.SetStatus(ActivityStatusCode.Error, result.Message);
            }
        }

        return result;
    }

    private static async Task<Completion> TracedParseAsync(CallbackRunner callbacks, Lease lease, Response response, CancellationToken cancellationToken)
    {
        using var span = Source.StartActivity(ParseSpan, ActivityKind.Internal);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("trawl.callback", lease.Request.Callback ?? nameof(Spiders.Spider.ParseAsync));
        }

        try
        {
            var completion = await callbacks.RunAsync(lease, response, cancellationToken).ConfigureAwait(false);
            if (span is { IsAllDataRequested: true })
            {
                if (completion.Status == CompletionStatus.Done)
                {
                    span.SetTag("trawl.items", completion.Items.Count);
                    span.SetTag("trawl.requests", completion.Discovered.Count + completion.ScheduledEarly);
                }
                else
                {
                    span.SetTag("error.type", completion.ErrorKind);
                    span.SetStatus(ActivityStatusCode.Error, completion.ErrorKind);
                }
            }

            return completion;
        }
        catch (Exception ex) when (Failed(span, ex))
        {
            throw;
        }
    }

    private static async ValueTask TracedCommitAsync(Func<List<Completion>, ValueTask> commit, List<Completion> batch, bool durable)
    {
        var crawl = Activity.Current;
        Activity.Current = null;
        using var span = Source.StartActivity(CommitSpan, ActivityKind.Internal, parentContext: default, links: Link(crawl));
        if (span is { IsAllDataRequested: true })
        {
            var items = 0;
            foreach (var completion in batch)
            {
                items += completion.Items.Count;
            }

            span.SetTag("trawl.requests", batch.Count);
            span.SetTag("trawl.items", items);
            span.SetTag("trawl.durable", durable);
        }

        try
        {
            await commit(batch).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failed(span, ex))
        {
            throw;
        }
    }

    private static ActivityLink[]? Link(Activity? crawl) => crawl is null ? null : [new ActivityLink(crawl.Context)];

    private static string Outcome(CompletionStatus status) => status switch
    {
        CompletionStatus.Done => "done",
        CompletionStatus.Retry => "retry",
        CompletionStatus.Failed => "failed",
        CompletionStatus.Skipped => "skipped",
        _ => "unknown",
    };
}
