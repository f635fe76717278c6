using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Logging;
using Trawl.Rendering;
using TrawlResponse = Trawl.Http.Response;

namespace Trawl.Browser;

/// <summary>
/// Renders pages in Chromium through Playwright: a pool of up to <see cref="BrowserOptions.MaxPages"/> pages in one
/// browser, each page in its own browser context, kept from render to render and given the crawl's cookies (and only
/// those) before each. Give it to a crawl with
/// <c>CrawlerBuilder.UseRenderer</c>, and dispose it after the crawl.
/// </summary>
/// <remarks>
/// <para>The browser starts on the first render (or <see cref="StartAsync"/>), headless, with the system's Chromium
/// (<see cref="BrowserOptions.ExecutablePath"/>). A page waits until the network is idle (no request for half a second
/// after it loaded), or until <see cref="RenderRequest.WaitFor"/> matches, within <see cref="RenderRequest.Timeout"/>; its
/// DOM then becomes the response's body (UTF-8 HTML), with the status and headers of the page's own response. A page that
/// is not HTML (JSON, a PDF) comes back as the server sent it.</para>
/// <para>What a page may load: nothing <see cref="RenderRequest.AllowUrl"/> refuses (a navigation or redirect there fails
/// as <c>redirect_blocked</c>), and none of <see cref="BrowserOptions.BlockedResourceTypes"/>.</para>
/// <para>Faults: if the browser crashes or is killed, the pages in flight fail as <see cref="DownloadError.BrowserCrashed"/>
/// (the crawl retries them), and the next render starts a new browser. A page not ready in time fails as
/// <see cref="DownloadError.RenderTimeout"/>. The browser is started afresh after
/// <see cref="BrowserOptions.RestartAfterPages"/> pages or past <see cref="BrowserOptions.MaxMemoryMiB"/>; its pages in
/// flight finish first. Disposing closes every browser, and kills any of its processes still running, so none outlives
/// the renderer; if this process is killed, Playwright's driver sees its pipe close and closes the browsers.</para>
/// </remarks>
public sealed class BrowserRenderer : IPageRenderer, IAsyncDisposable
{
    private static readonly HashSet<string> DroppedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "User-Agent", "Cookie", "Host", "Content-Length", "Accept-Encoding", "Connection", "Transfer-Encoding",
    };

    private readonly BrowserOptions _options;
    private readonly HashSet<string> _blocked;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _pages;
    private readonly SemaphoreSlim _launching = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<BrowserInstance> _instances = [];
    private readonly List<string> _launched = [];
    private IPlaywright? _playwright;
    private BrowserInstance? _current;
    private int _launches;
    private int _contextsOpened;
    private bool _disposed;

    /// <summary>Creates the renderer; the browser starts on the first render.</summary>
    /// <param name="options">The browser and the pool's settings; validated here.</param>
    /// <param name="loggerFactory">Where to log browser starts, crashes and restarts; <see langword="null"/> for nowhere.</param>
    /// <param name="timeProvider">The clock of render timeouts; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public BrowserRenderer(BrowserOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _blocked = new HashSet<string>(options.BlockedResourceTypes, StringComparer.OrdinalIgnoreCase);
        _logger = loggerFactory?.CreateLogger("Trawl.Browser") ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pages = new SemaphoreSlim(options.MaxPages, options.MaxPages);
    }

    /// <summary>The browser's executable.</summary>
    public string ExecutablePath => _options.ExecutablePath;

    /// <summary>How many pages a browser renders between two looks at its memory; for tests.</summary>
    internal int MemoryCheckEvery { get; init; } = 25;

    /// <summary>How many browser contexts (each with its page) were opened: fewer than renders, as they are kept; for tests.</summary>
    internal int ContextsOpened => Volatile.Read(ref _contextsOpened);

    /// <summary>How many times a browser was started (a crash or a restart starts another).</summary>
    public int Launches => Volatile.Read(ref _launches);

    /// <summary>
    /// Starts the browser now rather than on the first render, so a browser that cannot start is reported before a crawl
    /// begins.
    /// </summary>
    /// <exception cref="BrowserLaunchException">The browser could not be started; the message says why.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var instance = await AcquireAsync(forPage: false, cancellationToken).ConfigureAwait(false);
        await ReleaseAsync(instance, checkMemory: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<DownloadResult> RenderAsync(RenderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var url = request.Request.Url;
        try
        {
            await _pages.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return Fail(url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(url)} was cancelled.");
        }

        try
        {
            BrowserInstance instance;
            try
            {
                instance = await AcquireAsync(forPage: true, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Fail(url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(url)} was cancelled.");
            }
            catch (BrowserLaunchException ex)
            {
                return Fail(url, DownloadError.BrowserCrashed, $"Cannot render {UrlRedaction.UrlForLog(url)}: {ex.Message}");
            }

            try
            {
                return await RenderOnAsync(instance, request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseAsync(instance, checkMemory: true).ConfigureAwait(false);
            }
        }
        finally
        {
            _pages.Release();
        }
    }

    /// <summary>Closes every browser, and kills any of their processes still running.</summary>
    public async ValueTask DisposeAsync()
    {
        List<BrowserInstance> instances;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            instances = [.. _instances];
            _instances.Clear();
            _current = null;
        }

        foreach (var instance in instances)
        {
            await CloseAsync(instance).ConfigureAwait(false);
        }

        _playwright?.Dispose();
        var leftovers = instances.SelectMany(static instance => BrowserProcesses.Find(BrowserProcesses.IdVariable, instance.Id)).ToList();
        if (leftovers.Count > 0)
        {
            BrowserProcesses.Kill(leftovers);
            Log.LeftoversKilled(_logger, leftovers.Count);
        }

        // The semaphores are not disposed: renders still under way give their page back to them as they end.
    }

    /// <summary>The processes still running of every browser this renderer started; for tests that look for orphans.</summary>
    internal IReadOnlyList<int> AllProcesses()
    {
        string[] ids;
        lock (_gate)
        {
            ids = [.. _launched];
        }

        return [.. ids.SelectMany(static id => BrowserProcesses.Find(BrowserProcesses.IdVariable, id))];
    }

    /// <summary>The processes of the browser now in use (the browser itself first); for tests that kill it.</summary>
    internal IReadOnlyList<int> CurrentProcesses()
    {
        var id = _current?.Id;
        return id is null ? [] : BrowserProcesses.BrowserFirst(BrowserProcesses.Find(BrowserProcesses.IdVariable, id));
    }

    // ---- The pool ------------------------------------------------------------------------------------------------------

    // A browser for one page: the current one, or a new one when there is none, it was lost, or it is being recycled.
    // A browser's pages are counted as they start, so the one that reaches the limit is its last.
    private async ValueTask<BrowserInstance> AcquireAsync(bool forPage, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_current is { Lost: false, Retiring: false } current)
                {
                    current.InFlight++;
                    if (forPage && ++current.Pages >= _options.RestartAfterPages)
                    {
                        current.Retiring = true;
                        Log.BrowserRecycled(_logger, current.Pages, $"the limit of {_options.RestartAfterPages} pages");
                    }

                    return current;
                }
            }

            await _launching.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool needed;
                lock (_gate)
                {
                    needed = _current is null or { Lost: true } or { Retiring: true };
                }

                if (needed)
                {
                    var fresh = await LaunchAsync(cancellationToken).ConfigureAwait(false);
                    BrowserInstance? idle = null;
                    lock (_gate)
                    {
                        if (_disposed)
                        {
                            idle = fresh;
                        }
                        else
                        {
                            if (_current is { InFlight: 0 } old)
                            {
                                idle = old;
                            }

                            _current = fresh;
                            _instances.Add(fresh);
                        }
                    }

                    if (idle is not null)
                    {
                        await RetireAsync(idle).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                _launching.Release();
            }
        }
    }

    // A page is done with its browser: a browser due for recycling, or lost, is closed once its last page is done.
    private async ValueTask ReleaseAsync(BrowserInstance instance, bool checkMemory)
    {
        bool close;
        lock (_gate)
        {
            instance.InFlight--;
            checkMemory &= !instance.Retiring && _options.MaxMemoryMiB is not null && instance.Pages - instance.MemoryCheckedAt >= MemoryCheckEvery;
            if (checkMemory)
            {
                instance.MemoryCheckedAt = instance.Pages;
            }

            close = (instance.Retiring || instance.Lost) && instance.InFlight == 0 && instance != _current;
        }

        if (checkMemory && _options.MaxMemoryMiB is { } limit)
        {
            var resident = BrowserProcesses.ResidentBytes(BrowserProcesses.Find(BrowserProcesses.IdVariable, instance.Id));
            if (resident > (long)limit * 1024 * 1024)
            {
                lock (_gate)
                {
                    instance.Retiring = true;
                }

                Log.BrowserRecycled(_logger, instance.Pages, string.Create(CultureInfo.InvariantCulture, $"{resident / (1024 * 1024)} MiB, over the limit of {limit} MiB"));
            }
        }

        if (close)
        {
            await RetireAsync(instance).ConfigureAwait(false);
        }
    }

    private async ValueTask RetireAsync(BrowserInstance instance)
    {
        lock (_gate)
        {
            _instances.Remove(instance);
        }

        await CloseAsync(instance).ConfigureAwait(false);
    }

    private async ValueTask CloseAsync(BrowserInstance instance)
    {
        lock (_gate)
        {
            if (instance.Closing)
            {
                return;
            }

            instance.Closing = true;
        }

        try
        {
            await instance.Browser.CloseAsync().ConfigureAwait(false);
        }
        catch (PlaywrightException)
        {
            // Lost already: nothing to close.
        }
    }

    private async Task<BrowserInstance> LaunchAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var id = Guid.NewGuid().ToString("N");
        IBrowser browser;
        try
        {
            _playwright ??= await Playwright.CreateAsync().ConfigureAwait(false);
            browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = _options.ExecutablePath,
                Headless = true,
                Args = ["--disable-dev-shm-usage", .. _options.Arguments],
                Env = Environment(id),
                Timeout = (float)_options.LaunchTimeout.TotalMilliseconds,

                // Ctrl+C and SIGTERM are the crawl's to handle: it pauses, and its pages in flight finish in the browser.
                HandleSIGINT = false,
                HandleSIGTERM = false,
                HandleSIGHUP = false,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PlaywrightException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            var reason = FirstLine(ex.Message);
            Log.BrowserLaunchFailed(_logger, reason);
            throw new BrowserLaunchException($"the browser {_options.ExecutablePath} could not be started: {reason}", ex);
        }

        var instance = new BrowserInstance(browser, id);
        browser.Disconnected += (_, _) => OnDisconnected(instance);
        Interlocked.Increment(ref _launches);
        lock (_gate)
        {
            _launched.Add(id);
        }

        Log.BrowserStarted(_logger, _options.ExecutablePath, browser.Version, _options.MaxPages);
        return instance;
    }

    private void OnDisconnected(BrowserInstance instance)
    {
        int inFlight;
        lock (_gate)
        {
            instance.Lost = true;
            if (instance.Closing)
            {
                return;
            }

            inFlight = instance.InFlight;
        }

        Log.BrowserLost(_logger, inFlight);
    }

    // The browser gets this process's environment, plus the markers that tell its processes (and their children) apart.
    private static Dictionary<string, string> Environment(string id)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                environment[key] = value;
            }
        }

        environment[BrowserProcesses.OwnerVariable] = System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        environment[BrowserProcesses.IdVariable] = id;
        return environment;
    }

    // ---- One page ------------------------------------------------------------------------------------------------------

    private async Task<DownloadResult> RenderOnAsync(BrowserInstance instance, RenderRequest request, CancellationToken cancellationToken)
    {
        var page = new PageRender(request, _time.GetTimestamp());
        var work = RenderPageAsync(instance, page);
        try
        {
            return await work.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: closing the context ends whatever the page was waiting for.
            page.Cancelled = true;
            if (page.Context is { } context)
            {
                await CloseQuietlyAsync(context).ConfigureAwait(false);
            }

            await ((Task)work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return Fail(request.Request.Url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(request.Request.Url)} was cancelled.");
        }
    }

    private async Task<DownloadResult> RenderPageAsync(BrowserInstance instance, PageRender render)
    {
        var request = render.Request;
        var url = request.Request.Url;
        PageSlot? slot = null;
        var reusable = false;
        try
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var userAgent = request.UserAgent;
            if (request.Request.HasHeaders)
            {
                foreach (var (name, value) in request.Request.Headers)
                {
                    if (string.Equals(name, "User-Agent", StringComparison.OrdinalIgnoreCase))
                    {
                        userAgent = value;
                    }
                    else if (!DroppedRequestHeaders.Contains(name))
                    {
                        headers[name] = value;
                    }
                }
            }

            var routed = _blocked.Count > 0 || request.AllowUrl is not null;
            slot = await TakeSlotAsync(instance, userAgent, routed, render).ConfigureAwait(false);
            if (render.Cancelled)
            {
                return Fail(url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(url)} was cancelled.");
            }

            var page = slot.Page;
            if (!HeadersEqual(slot.Headers, headers))
            {
                await page.SetExtraHTTPHeadersAsync(headers).ConfigureAwait(false);
                slot.Headers = headers;
            }

            List<Cookie> cookies = request.Cookies is { } jar ? CookieBridge.ToBrowser(jar, _time) : [];
            if (cookies.Count > 0)
            {
                await slot.Context.AddCookiesAsync(cookies).ConfigureAwait(false);
            }

            if (SameDocument(page.Url, url))
            {
                // Going to the address the page is at, but for its fragment, would not load it again.
                await page.GotoAsync("about:blank", new PageGotoOptions { Timeout = Remaining(render) }).ConfigureAwait(false);
            }

            var response = await page.GotoAsync(url.AbsoluteUri, new PageGotoOptions
            {
                WaitUntil = request.WaitFor is null ? WaitUntilState.NetworkIdle : WaitUntilState.Load,
                Timeout = Remaining(render),
            }).ConfigureAwait(false);
            if (response is null)
            {
                return Fail(url, DownloadError.Protocol, $"Rendering {UrlRedaction.UrlForLog(url)} gave no response.");
            }

            if (request.WaitFor is { } selector)
            {
                await page.WaitForSelectorAsync(selector, new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Remaining(render) }).ConfigureAwait(false);
            }

            foreach (var action in request.Actions)
            {
                render.Action = action;
                await RunAsync(page, action, render).ConfigureAwait(false);
            }

            render.Action = null;
            if (request.ScreenshotPath is { } screenshot)
            {
                if (Path.GetDirectoryName(screenshot) is { Length: > 0 } directory)
                {
                    Directory.CreateDirectory(directory);
                }

                await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true, Type = ScreenshotType.Png, Timeout = Remaining(render) }).ConfigureAwait(false);
            }

            var result = await ReadAsync(request, page, response).ConfigureAwait(false);
            if (request.Cookies is { } cookieJar)
            {
                var rejected = CookieBridge.FromBrowser(cookieJar, cookies, await slot.Context.CookiesAsync().ConfigureAwait(false));
                if (rejected > 0)
                {
                    Log.CookiesRejected(_logger, UrlRedaction.UrlForLog(url), rejected);
                }
            }

            Log.Rendered(_logger, UrlRedaction.UrlForLog(url), result.Status, result.Body.Length);
            reusable = true;
            return DownloadResult.Success(result);
        }
        catch (TimeoutException)
        {
            if (instance.Lost || slot?.Crashed == true)
            {
                return Lost(url, slot?.Crashed == true);
            }

            var waited = render.Action is { } stuck ? $"in page action '{stuck}'" : request.WaitFor is { } css ? $"for '{css}' to match" : "for the network to go idle";
            return Fail(url, DownloadError.RenderTimeout,
                string.Create(CultureInfo.InvariantCulture, $"Render of {UrlRedaction.UrlForLog(url)} timed out after {request.Timeout.TotalSeconds:0.###} s waiting {waited}."));
        }
        catch (PlaywrightException ex)
        {
            if (render.Cancelled)
            {
                return Fail(url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(url)} was cancelled.");
            }

            if (instance.Closing)
            {
                // Closed on purpose under the page: the renderer is being disposed (the crawl has stopped).
                return Fail(url, DownloadError.Cancelled, $"Render of {UrlRedaction.UrlForLog(url)} stopped: the browser was closed.");
            }

            // The page can hear of its browser's end before the browser's Disconnected event has run.
            var crashed = slot?.Crashed == true;
            if (instance.Lost || crashed || !instance.Browser.IsConnected || IsClosedOrCrashed(ex.Message))
            {
                return Lost(url, crashed);
            }

            var (kind, message) = Classify(ex, url, render);
            return Fail(url, kind, message);
        }
        finally
        {
            if (slot is not null)
            {
                await GiveBackAsync(instance, slot, reusable && !render.Cancelled).ConfigureAwait(false);
            }
        }
    }

    // ---- Page slots ----------------------------------------------------------------------------------------------------

    // A browser keeps its pages from render to render, each in its own context, used by one render at a time: opening a
    // context and a page for every render made Chromium start a renderer process for each, which cost more than half the
    // time of a render (BENCHMARKS.md, section 11, "Kept pages"). A slot taken again is cleared of cookies first, so a
    // render sees the crawl's cookies only, as in a fresh context; its storage and cache stay, as in a browser tab.
    private async Task<PageSlot> TakeSlotAsync(BrowserInstance instance, string userAgent, bool routed, PageRender render)
    {
        PageSlot? idle = null;
        lock (_gate)
        {
            instance.IdleSlots.TryPop(out idle);
        }

        if (idle is not null && (!string.Equals(idle.UserAgent, userAgent, StringComparison.Ordinal) || idle.Routed != routed))
        {
            // Made for another User-Agent (a context's own) or routing: a new one replaces it.
            await CloseQuietlyAsync(idle.Context).ConfigureAwait(false);
            idle = null;
        }

        if (idle is not null)
        {
            render.Context = idle.Context;
            idle.Current = render;
            try
            {
                await idle.Context.ClearCookiesAsync().ConfigureAwait(false);
            }
            catch
            {
                await CloseQuietlyAsync(idle.Context).ConfigureAwait(false);
                throw;
            }

            return idle;
        }

        var context = await instance.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            UserAgent = userAgent,
            ServiceWorkers = ServiceWorkerPolicy.Block,
        }).ConfigureAwait(false);
        render.Context = context;
        Interlocked.Increment(ref _contextsOpened);
        try
        {
            var page = await context.NewPageAsync().ConfigureAwait(false);
            var slot = new PageSlot(context, page, userAgent, routed) { Current = render };
            page.Crash += (_, _) => slot.Crashed = true;
            if (routed)
            {
                await page.RouteAsync("**/*", route => RouteAsync(route, slot)).ConfigureAwait(false);
            }

            return slot;
        }
        catch
        {
            await CloseQuietlyAsync(context).ConfigureAwait(false);
            throw;
        }
    }

    // A slot whose render went well goes back to its browser for the next one; any other (a failure, a timeout, a
    // cancelled render, a page that opened others, one that has served BrowserOptions.RendersPerPage renders) is
    // closed, and with it whatever the page was still doing.
    private async ValueTask GiveBackAsync(BrowserInstance instance, PageSlot slot, bool reusable)
    {
        slot.Current = null;
        reusable &= !slot.Crashed && slot.Context.Pages.Count == 1 && ++slot.Renders < _options.RendersPerPage;
        lock (_gate)
        {
            if (reusable && !instance.Lost && !instance.Retiring && !instance.Closing)
            {
                instance.IdleSlots.Push(slot);
                return;
            }
        }

        await CloseQuietlyAsync(slot.Context).ConfigureAwait(false);
    }

    private static bool HeadersEqual(Dictionary<string, string> current, Dictionary<string, string> wanted) =>
        current.Count == wanted.Count && current.All(pair => wanted.TryGetValue(pair.Key, out var value) && string.Equals(value, pair.Value, StringComparison.Ordinal));

    private static bool SameDocument(string current, Uri target) =>
        Uri.TryCreate(current, UriKind.Absolute, out var at) && at.Scheme is "http" or "https"
        && string.Equals(at.GetLeftPart(UriPartial.Query), target.GetLeftPart(UriPartial.Query), StringComparison.Ordinal);

    private async Task<TrawlResponse> ReadAsync(RenderRequest request, IPage page, IResponse response)
    {
        var raw = await response.AllHeadersAsync().ConfigureAwait(false);
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in raw)
        {
            // Playwright joins the values of a repeated header with newlines.
            headers[name] = value.Split('\n');
        }

        var contentType = raw.TryGetValue("content-type", out var type) ? type : string.Empty;
        byte[] body;
        if (contentType.Length == 0 || contentType.Contains("html", StringComparison.OrdinalIgnoreCase))
        {
            // The DOM as it is now, written out as UTF-8 HTML: the body is no longer what the server sent.
            body = Encoding.UTF8.GetBytes(await page.ContentAsync().ConfigureAwait(false));
            headers["content-type"] = ["text/html; charset=utf-8"];
            headers.Remove("content-length");
            headers.Remove("content-encoding");
        }
        else
        {
            body = await response.BodyAsync().ConfigureAwait(false);
        }

        var chain = new List<Uri>();
        for (var from = response.Request.RedirectedFrom; from is not null; from = from.RedirectedFrom)
        {
            if (Uri.TryCreate(from.Url, UriKind.Absolute, out var hop))
            {
                chain.Insert(0, hop);
            }
        }

        var finalUrl = Uri.TryCreate(page.Url, UriKind.Absolute, out var pageUrl) && (pageUrl.Scheme == Uri.UriSchemeHttp || pageUrl.Scheme == Uri.UriSchemeHttps)
            ? pageUrl
            : Uri.TryCreate(response.Url, UriKind.Absolute, out var responseUrl) ? responseUrl : request.Request.Url;
        return new TrawlResponse(request.Request, finalUrl, response.Status, headers, body, chain.Count > 0 ? chain : null) { ScreenshotPath = request.ScreenshotPath };
    }

    // One page action, within what is left of the render's time; a selector that never matches throws TimeoutException.
    private async Task RunAsync(IPage page, PageAction action, PageRender render)
    {
        switch (action.Kind)
        {
            case PageActionKind.Scroll:
                for (var i = 0; i < action.Count; i++)
                {
                    var height = await page.EvaluateAsync<double>("() => { const e = document.scrollingElement || document.documentElement; window.scrollTo(0, e.scrollHeight); return e.scrollHeight; }").ConfigureAwait(false);
                    try
                    {
                        // The page grows when the scroll loaded more; if it does not within the pause, the list has ended.
                        await page.WaitForFunctionAsync("h => (document.scrollingElement || document.documentElement).scrollHeight > h", height,
                            new PageWaitForFunctionOptions { Timeout = Math.Min((float)action.Pause.TotalMilliseconds, Remaining(render)), PollingInterval = 50 }).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        break;
                    }
                }

                break;
            case PageActionKind.Click when action.All:
                var matches = page.Locator(action.Selector!);
                await matches.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = Remaining(render) }).ConfigureAwait(false);
                var count = await matches.CountAsync().ConfigureAwait(false);
                for (var i = 0; i < count; i++)
                {
                    await matches.Nth(i).ClickAsync(new LocatorClickOptions { Timeout = Remaining(render) }).ConfigureAwait(false);
                }

                break;
            case PageActionKind.Click:
                for (var i = 0; i < action.Count; i++)
                {
                    await page.Locator(action.Selector!).First.ClickAsync(new LocatorClickOptions { Timeout = Remaining(render) }).ConfigureAwait(false);
                }

                break;
            case PageActionKind.WaitFor:
                await page.WaitForSelectorAsync(action.Selector!, new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Remaining(render) }).ConfigureAwait(false);
                break;
            default:
                if (action.Pause.TotalMilliseconds > Remaining(render))
                {
                    throw new TimeoutException("The wait is longer than the render has left.");
                }

                await page.WaitForTimeoutAsync((float)action.Pause.TotalMilliseconds).ConfigureAwait(false);
                break;
        }
    }

    // Every request a page makes passes here: out of scope or of a blocked kind, it is never sent. Between two renders
    // the page loads nothing.
    private async Task RouteAsync(IRoute route, PageSlot slot)
    {
        try
        {
            var request = route.Request;
            if (slot.Current is not { } render)
            {
                await route.AbortAsync("blockedbyclient").ConfigureAwait(false);
                return;
            }

            var allowUrl = render.Request.AllowUrl;
            if (allowUrl is not null && Uri.TryCreate(request.Url, UriKind.Absolute, out var target)
                && (target.Scheme == Uri.UriSchemeHttp || target.Scheme == Uri.UriSchemeHttps) && !Allows(allowUrl, target))
            {
                if (request.IsNavigationRequest)
                {
                    render.BlockedNavigation = target;
                }

                await route.AbortAsync("blockedbyclient").ConfigureAwait(false);
                return;
            }

            if (_blocked.Contains(request.ResourceType))
            {
                await route.AbortAsync("blockedbyclient").ConfigureAwait(false);
                return;
            }

            await route.ContinueAsync().ConfigureAwait(false);
        }
        catch (PlaywrightException)
        {
            // The page or its browser closed meanwhile.
        }
    }

    private static bool Allows(Func<Uri, bool> allowUrl, Uri target)
    {
        try
        {
            return allowUrl(target);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    private (DownloadError Kind, string Message) Classify(PlaywrightException exception, Uri url, PageRender render)
    {
        var safe = UrlRedaction.UrlForLog(url);
        var message = FirstLine(exception.Message);
        if (render.BlockedNavigation is { } blocked)
        {
            return (DownloadError.RedirectBlocked, $"Rendering {safe} led to {UrlRedaction.UrlForLog(blocked)}, which the crawl's allowed domains refuse.");
        }

        DownloadError kind = message switch
        {
            _ when message.Contains("ERR_NAME_NOT_RESOLVED", StringComparison.Ordinal) => DownloadError.Dns,
            _ when message.Contains("ERR_CONNECTION_REFUSED", StringComparison.Ordinal) => DownloadError.Refused,
            _ when message.Contains("ERR_CONNECTION_RESET", StringComparison.Ordinal) || message.Contains("ERR_EMPTY_RESPONSE", StringComparison.Ordinal)
                || message.Contains("ERR_CONNECTION_CLOSED", StringComparison.Ordinal) => DownloadError.Reset,
            _ when message.Contains("ERR_TIMED_OUT", StringComparison.Ordinal) || message.Contains("ERR_CONNECTION_TIMED_OUT", StringComparison.Ordinal) => DownloadError.Timeout,
            _ when message.Contains("ERR_TOO_MANY_REDIRECTS", StringComparison.Ordinal) => DownloadError.Redirects,
            _ when message.Contains("ERR_INVALID_RESPONSE", StringComparison.Ordinal) || message.Contains("ERR_CONTENT_DECODING", StringComparison.Ordinal) => DownloadError.Protocol,
            _ when message.Contains("selector", StringComparison.OrdinalIgnoreCase) => DownloadError.InvalidRequest,
            _ => DownloadError.Network,
        };
        return (kind, $"Rendering {safe} failed: {message}");
    }

    private static bool IsClosedOrCrashed(string message) =>
        message.Contains("has been closed", StringComparison.OrdinalIgnoreCase) || message.Contains("Target crashed", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Browser closed", StringComparison.OrdinalIgnoreCase) || message.Contains("Page crashed", StringComparison.OrdinalIgnoreCase);

    private DownloadResult Lost(Uri url, bool pageCrashed) => Fail(url, DownloadError.BrowserCrashed, pageCrashed
        ? $"The browser's page crashed while rendering {UrlRedaction.UrlForLog(url)}."
        : $"The browser closed while rendering {UrlRedaction.UrlForLog(url)} (it crashed or was killed).");

    private DownloadResult Fail(Uri url, DownloadError kind, string message)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.RenderFailed(_logger, UrlRedaction.UrlForLog(url), DownloadResult.KindName(kind), message);
        }

        return DownloadResult.Failure(kind, message);
    }

    // What is left of the render's time, in Playwright's milliseconds; at least 1, as 0 would mean no timeout at all.
    private float Remaining(PageRender render)
    {
        var left = render.Request.Timeout - _time.GetElapsedTime(render.StartedAt);
        return (float)Math.Max(1, left.TotalMilliseconds);
    }

    private static async ValueTask CloseQuietlyAsync(IBrowserContext context)
    {
        try
        {
            await context.CloseAsync().ConfigureAwait(false);
        }
        catch (PlaywrightException)
        {
            // The browser is gone: so is the context.
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? message;
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    /// <summary>One browser process and its bookkeeping; guarded by the renderer's gate.</summary>
    private sealed class BrowserInstance(IBrowser browser, string id)
    {
        public IBrowser Browser { get; } = browser;

        public string Id { get; } = id;

        public int InFlight { get; set; }

        public int Pages { get; set; }

        public int MemoryCheckedAt { get; set; }

        public volatile bool Lost;

        public bool Retiring { get; set; }

        public bool Closing { get; set; }

        public Stack<PageSlot> IdleSlots { get; } = new();
    }

    /// <summary>A context and its one page, kept by a browser from render to render; one render uses it at a time.</summary>
    private sealed class PageSlot(IBrowserContext context, IPage page, string userAgent, bool routed)
    {
        public IBrowserContext Context { get; } = context;

        public IPage Page { get; } = page;

        public string UserAgent { get; } = userAgent;

        public bool Routed { get; } = routed;

        public Dictionary<string, string> Headers { get; set; } = [];

        public int Renders { get; set; }

        public volatile PageRender? Current;

        public volatile bool Crashed;
    }

    /// <summary>One render under way.</summary>
    private sealed class PageRender(RenderRequest request, long startedAt)
    {
        public RenderRequest Request { get; } = request;

        public long StartedAt { get; } = startedAt;

        public volatile IBrowserContext? Context;

        public volatile bool Cancelled;

        public volatile Uri? BlockedNavigation;

        public volatile PageAction? Action;
    }
}

/// <summary>The browser could not be started; the message says why.</summary>
public sealed class BrowserLaunchException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public BrowserLaunchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and its cause.</summary>
    public BrowserLaunchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
