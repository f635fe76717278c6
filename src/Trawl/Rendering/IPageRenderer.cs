using System.Net;
using Trawl.Downloader;
using Trawl.Http;

namespace Trawl.Rendering;

/// <summary>
/// Renders a page in a browser: loads the request's URL, runs its scripts, waits until it is ready, and hands back the
/// page's DOM as an ordinary <see cref="Response"/>, so selectors, <c>Follow</c>, fields, items and exporters work on it
/// unchanged. Given to a crawl with <c>CrawlerBuilder.UseRenderer</c>; the crawl calls it in place of its HTTP download
/// for the requests it renders, after the same politeness (per-domain slots and delays, robots.txt, allowed domains, the
/// domain gate) and with the same retries and durable bookkeeping.
/// </summary>
/// <remarks>
/// <para>Implementations are called concurrently and must be safe for it. Like a download, a render never throws: every
/// failure is a <see cref="DownloadResult"/> with its kind, for example <see cref="DownloadError.BrowserCrashed"/> (retried)
/// or <see cref="DownloadError.RenderTimeout"/>. The crawl does not dispose the renderer: its owner does, after the crawl.</para>
/// <para><c>Trawl.Browser</c>'s <c>BrowserRenderer</c> is the implementation on Chromium through Playwright.</para>
/// </remarks>
public interface IPageRenderer
{
    /// <summary>Renders one page. Never throws: failures and cancellation come back as a failed <see cref="DownloadResult"/>.</summary>
    ValueTask<DownloadResult> RenderAsync(RenderRequest request, CancellationToken cancellationToken);
}

/// <summary>One page to render, with what the crawl asks of it.</summary>
public sealed class RenderRequest
{
    /// <summary>The request: its URL, headers and meta. Rendering loads its URL with GET.</summary>
    public required Request Request { get; init; }

    /// <summary>
    /// The crawl's cookie jar: its cookies go into the browser before the page loads, and the cookies the page has when it
    /// is done come back into it (set, changed or removed), so a session carries across plain and rendered pages and is
    /// saved with a durable job. <see langword="null"/> when the crawl keeps no cookies.
    /// </summary>
    public CookieContainer? Cookies { get; init; }

    /// <summary>The User-Agent to send, unless the request has its own <c>User-Agent</c> header.</summary>
    public required string UserAgent { get; init; }

    /// <summary>
    /// A CSS selector the page is ready once it matches; <see langword="null"/> to wait until the network is idle (no
    /// request in flight for half a second after the page loaded).
    /// </summary>
    public string? WaitFor { get; init; }

    /// <summary>
    /// The page actions to run, in order, once the page is ready and before its DOM is read; all within
    /// <see cref="Timeout"/>. Empty for none.
    /// </summary>
    public IReadOnlyList<PageAction> Actions { get; init; } = [];

    /// <summary>
    /// Where to save a full-page PNG screenshot of the page, after its actions and before the response is handed back
    /// (overwriting any file there); the response's <see cref="Response.ScreenshotPath"/> is then this path.
    /// <see langword="null"/> for none.
    /// </summary>
    public string? ScreenshotPath { get; init; }

    /// <summary>The longest the render may take, from the moment a browser page is free for it to the page's DOM.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>
    /// Decides whether the page may load a URL at all (the page itself, its redirects, and every request it makes): a URL
    /// it refuses is never requested. <see langword="null"/> allows every URL. The crawl's allowed domains, when it has some.
    /// </summary>
    public Func<Uri, bool>? AllowUrl { get; init; }
}
