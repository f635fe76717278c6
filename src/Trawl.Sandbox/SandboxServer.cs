using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Trawl.Sandbox.Hosting;
using Trawl.Sandbox.Site;

namespace Trawl.Sandbox;

/// <summary>
/// The sandbox site served by Kestrel over plain HTTP/1.1, with request counts and a request log for tests.
/// </summary>
/// <remarks>
/// <para>
/// Routes: <c>/</c>, <c>/pages/{i}</c> and the quotes section under <c>/quotes/</c> (see <see cref="SandboxSite"/>);
/// <c>/robots.txt</c> (from <see cref="SandboxOptions.RobotsTxt"/>); and the misbehaving endpoints:
/// </para>
/// <list type="bullet">
/// <item><c>/trap/status/{code}</c>: that status (200–599) and a small page; <c>?retry-after=s</c> adds Retry-After.</item>
/// <item><c>/trap/slow?ms=N</c>: answers after N milliseconds (default 1,000).</item>
/// <item><c>/trap/hang</c>: never answers; the connection is dropped once the client gives up or the server stops.</item>
/// <item><c>/trap/large?mb=N</c>: exactly N MiB (default 1) of HTML, chunked, without Content-Length.</item>
/// <item><c>/trap/redirect/{n}</c>: n redirects ending at <c>/pages/0</c>; <c>?status=301|302|303|307|308</c> (default 302).</item>
/// <item><c>/trap/redirect-loop</c>: redirects to itself, query included.</item>
/// <item><c>/trap/gzip-bomb</c>: about 1 MiB of <c>Content-Encoding: gzip</c> that inflates to 1 GiB of zeros.</item>
/// <item><c>/trap/reset</c>: promises 64 KiB, sends 8 KiB, then drops the connection.</item>
/// <item><c>/trap/links?n=N</c>: a page of N links (default 100) to synthetic pages.</item>
/// <item><c>/trap/charset/{name}?declare=header|meta|both|none</c>: a page encoded in a legacy charset
/// (<see cref="SandboxSite.CharsetNames"/>), declared where asked (default: the Content-Type header only);
/// <c>&amp;label=L</c> declares L instead of the real charset.</item>
/// <item><c>/trap/flaky/{key}?fail=N&amp;status=S&amp;retry-after=s</c>: the first N requests for key (default 2) answer
/// S (default 503), then 200.</item>
/// <item><c>/trap/trickle?bytes=N&amp;ms=M</c>: headers at once, then N bytes (default 60), one every M ms (default 1,000).</item>
/// <item><c>/trap/redirect-to?url=U</c>: redirects to U, on any host or scheme.</item>
/// <item><c>/trap/bad-links</c>: links in every shape: relative, odd but valid, javascript:, mailto:, data:, malformed, over-long.</item>
/// <item><c>/trap/content/{kind}</c>: a body that is not HTML (json, png, pdf, text, xml, octet-stream, untyped-binary),
/// or HTML without a Content-Type (untyped-html).</item>
/// </list>
/// <para>
/// The sitemap section, <c>/sitemaps/…</c>: <c>robots.txt</c> (its <c>Sitemap:</c> line names <c>index.xml</c>), a sitemap
/// index of <c>pages-a.xml.gz</c> (gzipped, served as <c>application/octet-stream</c> without Content-Encoding: the odd
/// pages) and <c>pages-b.xml</c> (plain: the even pages, and page 1 again), listing <c>/sitemaps/page/{1..SitemapPages}</c>
/// with a <c>lastmod</c> (<see cref="TouchSitemapPage"/> makes one newer); each page links to an unlisted
/// <c>/sitemaps/unlisted/{n}</c>. Traps: <c>trap/bomb.xml.gz</c> (64 KiB of gzip, labelled text/plain, inflating to 64 MiB),
/// <c>trap/entities.xml</c> (a billion-laughs DTD), <c>trap/oversize.xml</c> (50,010 entries),
/// <c>trap/cross-host.xml</c> (entries on <c>localhost</c> and <c>elsewhere.invalid</c>, and one on its own host) and
/// <c>trap/malformed.xml</c> (cut off mid-element). <see cref="SandboxSite.SitemapListedPaths"/> lists the pages.
/// </para>
/// <para><see cref="SilentServer"/> is the server that accepts connections and never answers, on its own port.</para>
/// <para>
/// With <see cref="SandboxOptions.Validators"/>, the pages of the site (not the traps or the sitemap section) carry an
/// <c>ETag</c> and a <c>Last-Modified</c> and answer <c>304 Not Modified</c> to a request whose <c>If-None-Match</c> (or,
/// without one, <c>If-Modified-Since</c>) says the client has them; <see cref="ChangePage"/> changes one.
/// </para>
/// <para>
/// Every other path answers 404, methods other than GET and HEAD answer 405. Pages are rendered on each request,
/// not cached, so very large sites cost no memory. The server writes nothing to the console and leaves Ctrl+C and
/// SIGTERM to its host process.
/// </para>
/// </remarks>
public sealed class SandboxServer : IAsyncDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly RequestRecorder _recorder;
    private readonly SandboxRouter _router;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lazy<Task> _stop;

    private SandboxServer(WebApplication app, RequestRecorder recorder, SandboxRouter router, Uri baseUrl)
    {
        _app = app;
        _recorder = recorder;
        _router = router;
        BaseUrl = baseUrl;
        _stop = new Lazy<Task>(StopCoreAsync);
    }

    /// <summary>The site's base URL, ending in <c>/</c>, for example <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>How many requests the server has received, whatever their path or outcome.</summary>
    public long TotalRequests => _recorder.Total;

    /// <summary>
    /// Starts a server for the site <paramref name="options"/> describe and returns once it listens.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The address or port could not be bound.</exception>
    public static async Task<SandboxServer> StartAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        var site = new SiteModel(options);
        SandboxOptions.TryParseHost(site.Options.Host, out var address);

        // Slow readers are part of what the sandbox is for; Kestrel must not cut them off.
        var app = KestrelApp.Create(address, site.Options.Port, ShutdownTimeout, kestrel => kestrel.Limits.MinResponseDataRate = null);
        var recorder = new RequestRecorder(site.Options.EnableRequestLog);
        var router = new SandboxRouter(site, app.Lifetime.ApplicationStopping);
        app.Run(async context =>
        {
            recorder.Record(context);
            try
            {
                await router.HandleAsync(context).ConfigureAwait(false);
            }
            finally
            {
                recorder.Answered();
            }
        });

        Uri baseUrl;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            baseUrl = new UriBuilder(Uri.UriSchemeHttp, UrlHost(address), KestrelApp.BoundPort(app)).Uri;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        router.BaseUrl = baseUrl.AbsoluteUri;
        return new SandboxServer(app, recorder, router, baseUrl);
    }

    /// <summary>
    /// Gives page <paramref name="page"/> of the sitemap section a newer <c>lastmod</c> in the sitemaps that list it, as a
    /// site does when the page changes.
    /// </summary>
    public void TouchSitemapPage(int page, DateTimeOffset lastmod) => _router.Sitemaps.Touch(page, lastmod);

    /// <summary>
    /// Changes the page at <paramref name="path"/> (<c>/</c>, <c>/pages/{i}</c> or under <c>/quotes/</c>), as a site does
    /// when it edits one: its <c>h1</c> ends with <c> (revision N)</c> from now on, and with
    /// <see cref="SandboxOptions.Validators"/> its <c>ETag</c> and <c>Last-Modified</c> change too. Returns the page's new
    /// revision (1 after the first change).
    /// </summary>
    public int ChangePage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _router.Revisions.Change(path);
    }

    /// <summary>How many requests for the site's pages were answered <c>304 Not Modified</c> (see <see cref="SandboxOptions.Validators"/>).</summary>
    public long NotModifiedResponses => _router.Revisions.NotModifiedCount;

    /// <summary>
    /// The most requests the server was handling at once since it started, counted from each request's arrival until its
    /// handler returned (the response written): what a concurrency limit on the client side must hold below.
    /// </summary>
    public int PeakConcurrentRequests => _recorder.PeakInFlight;

    /// <summary>How many requests had exactly this request target, for example <c>/pages/3</c> or <c>/trap/slow?ms=5</c>.</summary>
    public int FetchCount(string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        return _recorder.Count(pathAndQuery);
    }

    /// <summary>A snapshot of the request count of every request target received so far.</summary>
    public IReadOnlyDictionary<string, int> FetchCounts() => _recorder.Counts();

    /// <summary>
    /// A snapshot of the requests received so far, in arrival order; empty when
    /// <see cref="SandboxOptions.EnableRequestLog"/> is off.
    /// </summary>
    public IReadOnlyList<SandboxRequest> RequestLog() => _recorder.Log();

    /// <summary>
    /// Waits until the server stops (it stops when disposed). Cancelling <paramref name="cancellationToken"/> stops
    /// it, and the wait then ends normally once it has stopped.
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _stop.Value.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the server: open requests to the endpoints that wait (hang, slow) are dropped at once, others get up
    /// to 5 seconds to finish. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync() => await _stop.Value.ConfigureAwait(false);

    private async Task StopCoreAsync()
    {
        try
        {
            await KestrelApp.StopAsync(_app, ShutdownTimeout).ConfigureAwait(false);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private static string UrlHost(IPAddress address)
    {
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }
}
