using System.Net;
using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Logging;

namespace Trawl.Rendering;

/// <summary>
/// The crawl's one way to download a page: over plain HTTP, or rendered in a browser, as the request's meta
/// (<see cref="RequestMeta.Render"/>) or else the crawl's <see cref="RenderMode"/> says. In auto mode it fetches plainly
/// first, asks whether the plain page needs rendering, renders it if so, and learns per pattern
/// (<see cref="AutoRenderPolicy"/>). It counts the pages fetched each way.
/// </summary>
/// <remarks>
/// The engine calls it where it would call the HTTP downloader, after every politeness check, so a rendered page takes the
/// same per-domain slot, delay and domain gate permit, the same retries and the same durable bookkeeping as a plain one.
/// Without a renderer it passes every request to the HTTP downloader, after one look at the request's meta.
/// </remarks>
internal sealed class PageFetcher : IDownloader
{
    private readonly IDownloader _http;
    private readonly IPageRenderer? _renderer;
    private readonly RenderMode _mode;
    private readonly string? _waitFor;
    private readonly TimeSpan _timeout;
    private readonly IReadOnlyList<PageAction> _actions;
    private readonly string? _screenshots;
    private readonly bool _screenshotByDefault;
    private readonly CookieContainer? _cookies;
    private readonly string _userAgent;
    private readonly Func<Uri, bool>? _allowUrl;
    private readonly Func<Response, bool> _needsRendering;
    private readonly AutoRenderPolicy? _auto;
    private readonly ILogger _logger;
    private long _plain;
    private long _rendered;

    /// <param name="http">The HTTP downloader; disposed with this.</param>
    /// <param name="renderer">The renderer, or <see langword="null"/> when the crawl has none; its owner disposes it.</param>
    /// <param name="options">The crawl's render settings.</param>
    /// <param name="cookies">The crawl's cookie jar, shared with the HTTP downloader; <see langword="null"/> for none.</param>
    /// <param name="userAgent">The User-Agent a rendered page sends unless its request has one.</param>
    /// <param name="allowUrl">The crawl's scope: what a rendered page may load; <see langword="null"/> for anything.</param>
    /// <param name="needsRendering">Auto mode: whether a plain page needs rendering (the spider's say). Must not throw.</param>
    /// <param name="logger">Where auto mode's lessons are logged.</param>
    public PageFetcher(IDownloader http, IPageRenderer? renderer, RenderOptions options, CookieContainer? cookies, string userAgent, Func<Uri, bool>? allowUrl, Func<Response, bool> needsRendering, ILogger logger)
    {
        _http = http;
        _renderer = renderer;
        _mode = renderer is null ? RenderMode.Never : options.Mode;
        _waitFor = options.WaitFor;
        _timeout = options.Timeout;
        _actions = options.Actions;
        _screenshots = options.ScreenshotDirectory is { } directory ? Path.GetFullPath(directory) : null;
        _screenshotByDefault = options.Screenshots;
        _cookies = cookies;
        _userAgent = userAgent;
        _allowUrl = allowUrl;
        _needsRendering = needsRendering;
        _auto = _mode == RenderMode.Auto ? new AutoRenderPolicy(options.AutoLearnAfter, options.AutoRecheckEvery) : null;
        _logger = logger;
    }

    /// <summary>Download attempts made over plain HTTP (robots.txt not included).</summary>
    public long FetchedPlain => Interlocked.Read(ref _plain);

    /// <summary>Pages rendered in the browser (attempts, answered or not).</summary>
    public long Rendered => Interlocked.Read(ref _rendered);

    /// <summary>Auto mode's learned patterns, and whether each needs rendering; empty in other modes.</summary>
    public IReadOnlyDictionary<string, bool> LearnedPatterns => _auto?.Learned ?? new Dictionary<string, bool>();

    public ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken) => DownloadAsync(request, null, cancellationToken);

    /// <summary>
    /// Downloads a page plainly or renders it. A plain body reserves its bytes in <paramref name="share"/> as it arrives;
    /// a rendered page's body is the browser's, outside the budget.
    /// </summary>
    public ValueTask<DownloadResult> DownloadAsync(Request request, ResponseByteBudget.Share? share, CancellationToken cancellationToken)
    {
        // A plain crawl's path: one look at the meta, and on to the HTTP downloader.
        if (_renderer is null && !request.HasMeta)
        {
            return FetchPlainAsync(request, share, cancellationToken);
        }

        var asked = RequestMeta.TryGetBool(request, RequestMeta.Render);
        if (!string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase) || asked == false)
        {
            return FetchPlainAsync(request, share, cancellationToken);
        }

        if (asked == true)
        {
            return _renderer is null ? ValueTask.FromResult(NoRenderer(request)) : RenderAsync(request, cancellationToken);
        }

        return _mode switch
        {
            RenderMode.Always => RenderAsync(request, cancellationToken),
            RenderMode.Auto => AutoAsync(request, share, cancellationToken),
            _ => FetchPlainAsync(request, share, cancellationToken),
        };
    }

    public void Dispose() => _http.Dispose();

    private ValueTask<DownloadResult> FetchPlainAsync(Request request, ResponseByteBudget.Share? share, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _plain);
        return _http.DownloadAsync(request, share, cancellationToken);
    }

    private ValueTask<DownloadResult> RenderAsync(Request request, CancellationToken cancellationToken)
    {
        IReadOnlyList<PageAction> actions;
        try
        {
            actions = RequestMeta.TryGetActions(request) ?? _actions;
        }
        catch (ArgumentException ex)
        {
            return ValueTask.FromResult(DownloadResult.Failure(DownloadError.InvalidRequest, $"Request {UrlRedaction.UrlForLog(request.Url)} has bad meta '{RequestMeta.RenderActions}': {ex.Message}"));
        }

        string? screenshot = null;
        if (RequestMeta.TryGetBool(request, RequestMeta.RenderScreenshot) ?? _screenshotByDefault)
        {
            if (_screenshots is not null)
            {
                screenshot = Path.Combine(_screenshots, request.Fingerprint.ToString() + ".png");
            }
            else if (RequestMeta.TryGetBool(request, RequestMeta.RenderScreenshot) == true)
            {
                return ValueTask.FromResult(DownloadResult.Failure(DownloadError.InvalidRequest,
                    $"Request {UrlRedaction.UrlForLog(request.Url)} asks for a screenshot (meta '{RequestMeta.RenderScreenshot}'), but the crawl has no screenshot directory (RenderOptions.ScreenshotDirectory)."));
            }
        }

        Interlocked.Increment(ref _rendered);
        return _renderer!.RenderAsync(
            new RenderRequest
            {
                Request = request,
                Cookies = _cookies,
                UserAgent = _userAgent,
                WaitFor = RequestMeta.TryGetString(request, RequestMeta.RenderWaitFor) ?? _waitFor,
                Timeout = _timeout,
                Actions = actions,
                ScreenshotPath = screenshot,
                AllowUrl = _allowUrl,
            },
            cancellationToken);
    }

    private async ValueTask<DownloadResult> AutoAsync(Request request, ResponseByteBudget.Share? share, CancellationToken cancellationToken)
    {
        var pattern = AutoRenderPolicy.PatternOf(request.Url);
        var choice = _auto!.Choose(pattern);
        if (choice == AutoChoice.Render)
        {
            return await RenderAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var plain = await FetchPlainAsync(request, share, cancellationToken).ConfigureAwait(false);
        if (plain.Response is not { } page || page.Status is < 200 or >= 300 || !page.IsHtml || choice == AutoChoice.PlainOnly)
        {
            return plain;
        }

        if (!_needsRendering(page))
        {
            _auto.Learn(pattern, AutoLesson.PlainSufficed);
            return plain;
        }

        var rendered = await RenderAsync(request, cancellationToken).ConfigureAwait(false);
        if (rendered.Response is not { } renderedPage)
        {
            // The render failed: the request is retried (or fails) as any download would, and nothing is learned.
            return rendered;
        }

        var helped = PageSignals.Improves(PageSignals.Of(page), PageSignals.Of(renderedPage));
        _auto.Learn(pattern, helped ? AutoLesson.RenderingHelped : AutoLesson.RenderingDidNotHelp);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.AutoRendered(_logger, UrlRedaction.UrlForLog(request.Url), pattern, helped);
        }

        return rendered;
    }

    private static DownloadResult NoRenderer(Request request) => DownloadResult.Failure(
        DownloadError.InvalidRequest,
        $"Request {UrlRedaction.UrlForLog(request.Url)} asks to be rendered (meta '{RequestMeta.Render}'), but the crawl has no renderer " +
        "(CrawlerBuilder.UseRenderer; trawl crawl --render auto or always).");
}
