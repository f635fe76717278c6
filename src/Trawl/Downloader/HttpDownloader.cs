using Trawl.Logging;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>
/// The HTTP downloader: one pooled, keep-alive connection set per downloader, content decoding (gzip, deflate,
/// brotli), redirects followed by hand, a total timeout and a streaming size limit. Every failure comes back as a
/// <see cref="DownloadResult"/>; HTTP error statuses (404, 503…) are responses, not failures.
/// </summary>
/// <remarks>
/// <para>
/// Create one per crawl and share it: it is safe for concurrent use, and its connections are reused across
/// requests. Disposing it closes them.
/// </para>
/// <para>
/// Headers: the request's own headers win; a request without one gets <see cref="DownloaderOptions.UserAgent"/> (or the
/// next of <see cref="DownloaderOptions.UserAgents"/>), and default <c>Accept</c> and <c>Accept-Language</c> headers.
/// <c>Accept-Encoding</c> is set by the decoder. The meta key <see cref="RequestMeta.DownloadTimeout"/> overrides
/// <see cref="DownloaderOptions.Timeout"/> for one request.
/// </para>
/// <para>
/// Redirects (301, 302, 303, 307, 308 with a Location) are followed up to <see cref="DownloaderOptions.MaxRedirects"/>.
/// 303 turns any method but HEAD into GET, and 301 and 302 turn POST into GET, as browsers do; the body is then
/// dropped. 307 and 308 keep method and body. A URL met twice in one chain fails at once as
/// <see cref="DownloadError.Redirects"/>; a target that is not http(s), that <see cref="RedirectFilter"/> refuses, or
/// that leads to a more private address than its hop (a public site to a loopback or private address; see
/// <see cref="DownloaderOptions.AllowPrivateRedirects"/>), fails as <see cref="DownloadError.RedirectBlocked"/>. <c>Authorization</c> and <c>Cookie</c> headers of
/// the request are not sent to another origin.
/// </para>
/// <para>
/// HTTP versions: HTTP/2 over TLS where the server offers it (<see cref="DownloaderOptions.Http2"/>), and for
/// <c>http://</c> URLs only with <see cref="DownloaderOptions.Http2PriorKnowledge"/>; HTTP/1.1 otherwise.
/// </para>
/// <para>
/// Proxies: the system's proxy settings are never used. A request goes through the proxy its meta names
/// (<see cref="RequestMeta.Proxy"/>; an empty string for none), else the next of <see cref="DownloaderOptions.Proxies"/>,
/// else direct; every hop of its redirects takes the same way. Each distinct proxy gets its own connection pool, since a
/// handler has one proxy (at most <see cref="DownloaderOptions.MaxProxyConnectionPools"/>). Proxy passwords are never
/// logged.
/// </para>
/// </remarks>
internal sealed class HttpDownloader : IDownloader
{
    private const string DefaultAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private const string DefaultAcceptLanguage = "en";

    // Content headers live on HttpContent, not on the request; without a body they have nowhere to go.
    private static readonly FrozenSet<string> ContentHeaderNames = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Allow", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
        "Content-MD5", "Content-Range", "Content-Type", "Expires", "Last-Modified");

    private static readonly Dictionary<string, string> NoHeaders = [];

    private readonly HttpMessageInvoker _invoker;
    private readonly ProxyConnectionPools _proxyPools;
    private readonly ProxyAddress[] _proxies;
    private readonly RotationOrder _proxyRotation;
    private readonly CookieContainer? _cookies;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _userAgent;
    private readonly string[] _userAgents;
    private readonly RotationOrder _userAgentRotation;
    private long _userAgentTurn;
    private long _proxyTurn;
    private readonly TimeSpan _timeout;
    private readonly int _maxResponseSize;
    private readonly int _maxRedirects;
    private readonly bool _allowPrivateRedirects;
    private readonly HttpVersions _versions;
    private readonly ConcurrentQueue<CancellationTokenSource> _timeoutSources = new();

    // Disposing the handler does not end requests already waiting on a connection, so Dispose cancels them. Never
    // disposed itself: it has no timer, and a download racing with Dispose may still register on it.
    private readonly CancellationTokenSource _disposing = new();
    private readonly int _maxPooledTimeoutSources;
    private int _pooledTimeoutSources;
    private volatile bool _disposed;

    /// <summary>Creates a downloader with its own connection pool.</summary>
    /// <param name="options">The settings; read once, here. Later changes to the object have no effect.</param>
    /// <param name="logger">Where failures (debug) and fetches (trace) are logged; <see langword="null"/> for nowhere.</param>
    /// <param name="cookies">
    /// A cookie jar to send from and store into, for every hop of every download; <see langword="null"/> to send no
    /// cookies but the ones a request sets itself. The caller owns it and may persist it.
    /// </param>
    /// <param name="timeProvider">The clock of the total timeout; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public HttpDownloader(DownloaderOptions options, ILogger? logger = null, CookieContainer? cookies = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _userAgent = options.UserAgent;
        _userAgents = [.. options.UserAgents];
        _userAgentRotation = options.UserAgentRotation;
        _proxies = [.. options.Proxies.Select(static text => ProxyAddress.TryParse(text, out var proxy, out _) ? proxy : throw new ArgumentException("Invalid proxy.", nameof(options)))];
        _proxyRotation = options.ProxyRotation;
        _timeout = options.Timeout;
        _maxResponseSize = (int)Math.Min(options.MaxResponseSize, Array.MaxLength);
        _maxRedirects = options.MaxRedirects;
        _allowPrivateRedirects = options.AllowPrivateRedirects;
        _versions = new HttpVersions(options.Http2, options.Http2PriorKnowledge);
        _maxPooledTimeoutSources = Math.Clamp(options.MaxConnectionsPerServer * 4, 64, 1024);
        _cookies = cookies;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _invoker = CreateInvoker(options, proxy: null);
        _proxyPools = new ProxyConnectionPools(proxy => CreateInvoker(options, proxy), options.MaxProxyConnectionPools);
    }

    private static HttpMessageInvoker CreateInvoker(DownloaderOptions options, IWebProxy? proxy)
    {
        var handler = new SocketsHttpHandler
        {
            // Recycle connections now and then so DNS changes are noticed; keep idle ones long enough to be reused.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,

            // One HTTP/2 connection carries as many requests at once as the server allows (often 100); past that, open more.
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.All,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = proxy is not null,
            Proxy = proxy,

            // Crawled sites are third parties: do not hand them our trace ids.
            ActivityHeadersPropagator = null,
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>
    /// Decides whether a redirect may be followed to the given absolute http(s) URL; <see langword="false"/> ends the
    /// download as <see cref="DownloadError.RedirectBlocked"/>, naming the target. Called concurrently; must be quick.
    /// If it throws, the redirect is blocked and the exception logged.
    /// </summary>
    /// <value>The default is <see langword="null"/>: every http(s) target is allowed.</value>
    public Func<Uri, bool>? RedirectFilter { get; init; }

    /// <summary>Resolves host names to tell where a redirect leads (<see cref="DownloaderOptions.AllowPrivateRedirects"/>); for tests.</summary>
    internal AddressSpaces.Resolver HostResolver { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>How many timeout sources wait in the pool for reuse; for tests.</summary>
    internal int PooledTimeoutSources => Volatile.Read(ref _pooledTimeoutSources);

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The downloader was disposed before the call.</exception>
    public ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken) => DownloadAsync(request, null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Time spent waiting for the budget does not count toward the download's timeout.</remarks>
    /// <exception cref="ObjectDisposedException">The downloader was disposed before the call.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DownloadResult> DownloadAsync(Request request, ResponseByteBudget.Share? share, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Fail(request, request.Url, DownloadError.Cancelled, exception: null);
        }

        var timeout = RequestMeta.TryGetSeconds(request, RequestMeta.DownloadTimeout, allowZero: false) ?? _timeout;
        ProxyConnectionPools.Rental proxyPool = default;
        ProxyAddress? usedProxy = null;
        var invoker = _invoker;
        if (PickProxy(request) is { } proxyChoice)
        {
            if (proxyChoice.Proxy is not { } proxy)
            {
                return Fail(request, request.Url, DownloadError.InvalidRequest, exception: null,
                    $"Invalid request for {UrlRedaction.UrlForLog(request.Url)}: its meta '{RequestMeta.Proxy}' is not a proxy URL ({proxyChoice.Error}).");
            }

            proxyPool = _proxyPools.Rent(proxy);
            invoker = proxyPool.Invoker;
            usedProxy = proxy;
        }

        var userAgent = PickUserAgent();
        var timeoutSource = RentTimeoutSource();
        var registration = cancellationToken.UnsafeRegister(CancelSource, timeoutSource);
        var disposeRegistration = _disposing.Token.UnsafeRegister(CancelSource, timeoutSource);
        timeoutSource.CancelAfter(timeout);
        var token = timeoutSource.Token;
        var reservations = share is null ? null : new BodyReservations(share, timeoutSource, timeout, _timeProvider.GetTimestamp(), _timeProvider);

        var url = request.Url;
        var method = request.Method;
        var body = request.Body;
        List<Uri>? chain = null;
        try
        {
            while (true)
            {
                HttpRequestMessage message;
                try
                {
                    message = BuildMessage(request, url, method, body, sameOrigin: chain is null || IsSameOrigin(request.Url, url), userAgent);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
                {
                    return Fail(request, url, DownloadError.InvalidRequest, ex);
                }

                using (message)
                {
                    using var response = await invoker.SendAsync(message, token).ConfigureAwait(false);
                    StoreCookies(url, response);

                    var status = (int)response.StatusCode;
                    if (IsRedirect(status) && response.Headers.Location is { } location)
                    {
                        if (!Uri.TryCreate(url, location, out var target))
                        {
                            return Fail(request, url, DownloadError.Protocol, exception: null, $"Invalid redirect Location from {UrlRedaction.UrlForLog(url)}.");
                        }

                        chain ??= [];
                        chain.Add(url);
                        var blocked = CheckRedirect(request, url, target, chain)
                            ?? (_allowPrivateRedirects ? null : await CheckAddressSpaceAsync(request, url, target, throughProxy: usedProxy is not null, token).ConfigureAwait(false));
                        if (blocked is { } failure)
                        {
                            return failure;
                        }

                        if (_logger.IsEnabled(LogLevel.Trace))
                        {
                            Log.Redirected(_logger, status, UrlRedaction.UrlForLog(url), UrlRedaction.UrlForLog(target));
                        }

                        if (ChangesToGet(status, method))
                        {
                            method = HttpMethod.Get.Method;
                            body = null;
                        }

                        url = target;
                        continue;
                    }

                    var content = response.Content;
                    if (content.Headers.ContentLength > _maxResponseSize)
                    {
                        return Fail(request, url, DownloadError.TooLarge, exception: null,
                            $"Response from {UrlRedaction.UrlForLog(url)} announces {content.Headers.ContentLength} bytes, over the limit of {_maxResponseSize}.");
                    }

                    byte[]? bytes;
                    if (string.Equals(method, HttpMethod.Head.Method, StringComparison.OrdinalIgnoreCase))
                    {
                        bytes = [];
                    }
                    else
                    {
                        var stream = await content.ReadAsStreamAsync(token).ConfigureAwait(false);
                        await using (stream.ConfigureAwait(false))
                        {
                            bytes = await ResponseBodyReader.ReadAsync(stream, content.Headers.ContentLength, _maxResponseSize, reservations, token).ConfigureAwait(false);
                        }
                    }

                    if (bytes is null)
                    {
                        return Fail(request, url, DownloadError.TooLarge, exception: null,
                            $"Response from {UrlRedaction.UrlForLog(url)} is over the limit of {_maxResponseSize} bytes.");
                    }

                    var result = new Response(request, url, status, MergeHeaders(response), bytes, chain);
                    if (_logger.IsEnabled(LogLevel.Trace))
                    {
                        Log.Downloaded(_logger, method, UrlRedaction.UrlForLog(url), status, bytes.Length, chain?.Count ?? 0);
                    }

                    return DownloadResult.Success(result);
                }
            }
        }
        catch (Exception ex)
        {
            if (_disposed)
            {
                return Fail(request, url, DownloadError.Cancelled, ex, $"Download of {UrlRedaction.UrlForLog(url)} stopped: the downloader was disposed.");
            }

            var callerCancelled = cancellationToken.IsCancellationRequested;
            var timedOut = !callerCancelled && timeoutSource.IsCancellationRequested;
            var kind = DownloadErrors.Classify(ex, callerCancelled, timedOut);
            var message = timedOut
                ? $"No complete response from {UrlRedaction.UrlForLog(url)} within {Wording.Duration(timeout)}."
                : DownloadErrors.Describe(kind, url, ex);
            if (usedProxy is not null)
            {
                // Name the proxy (never its credentials): a refused or reset connection may well be the proxy's.
                message = $"{message.TrimEnd('.')} (through proxy {usedProxy.Display}).";
            }

            return Fail(request, url, kind, ex, message);
        }
        finally
        {
            // The registrations go first: once they are disposed nothing else can cancel the source.
            registration.Dispose();
            disposeRegistration.Dispose();
            ReturnTimeoutSource(timeoutSource);
            proxyPool.Dispose();
        }
    }

    /// <summary>Closes all pooled connections. In-flight downloads end as <see cref="DownloadError.Cancelled"/> or another failure.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _disposing.Cancel();
        _invoker.Dispose();
        _proxyPools.Dispose();
        while (_timeoutSources.TryDequeue(out var source))
        {
            source.Dispose();
        }
    }

    private static void CancelSource(object? source) => ((CancellationTokenSource)source!).Cancel();

    // Null: direct. A choice without a proxy: the request's meta names an invalid one.
    private (ProxyAddress? Proxy, string Error)? PickProxy(Request request)
    {
        if (request.TryGetMeta(RequestMeta.Proxy, out _))
        {
            var text = RequestMeta.TryGetString(request, RequestMeta.Proxy);
            if (text is null)
            {
                return (null, "not a string");
            }

            if (text.Length == 0)
            {
                return null;
            }

            return ProxyAddress.TryParse(text, out var proxy, out var error) ? (proxy, string.Empty) : (null, error);
        }

        if (_proxies.Length == 0)
        {
            return null;
        }

        return (_proxies[Pick(_proxies.Length, _proxyRotation, ref _proxyTurn)], string.Empty);
    }

    private string PickUserAgent() =>
        _userAgents.Length == 0 ? _userAgent : _userAgents[Pick(_userAgents.Length, _userAgentRotation, ref _userAgentTurn)];

    private static int Pick(int count, RotationOrder order, ref long turn) =>
        count == 1 ? 0
        : order == RotationOrder.Random ? Random.Shared.Next(count)
        : (int)((Interlocked.Increment(ref turn) - 1) % count);

    private static bool IsRedirect(int status) => status is 301 or 302 or 303 or 307 or 308;

    private static bool ChangesToGet(int status, string method) => status switch
    {
        303 => !string.Equals(method, HttpMethod.Head.Method, StringComparison.OrdinalIgnoreCase),
        301 or 302 => string.Equals(method, HttpMethod.Post.Method, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static bool IsSameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    private static Dictionary<string, IReadOnlyList<string>> MergeHeaders(HttpResponseMessage response)
    {
        // NonValidated hands out the raw strings without parsing them into typed header values.
        var headers = response.Headers.NonValidated;
        var contentHeaders = response.Content.Headers.NonValidated;
        var merged = new Dictionary<string, IReadOnlyList<string>>(headers.Count + contentHeaders.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            merged[name] = ToArray(values);
        }

        foreach (var (name, values) in contentHeaders)
        {
            merged[name] = merged.TryGetValue(name, out var existing) ? [.. existing, .. ToArray(values)] : ToArray(values);
        }

        return merged;
    }

    private static string[] ToArray(HeaderStringValues values)
    {
        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }

    private HttpRequestMessage BuildMessage(Request request, Uri url, string method, byte[]? body, bool sameOrigin, string userAgent)
    {
        var message = new HttpRequestMessage(HttpMethod.Parse(method), url);
        try
        {
            _versions.Apply(message, url);
            if (body is not null)
            {
                message.Content = new ByteArrayContent(body);
            }

            string? requestCookie = null;
            foreach (var (name, value) in request.HasHeaders ? request.Headers : NoHeaders)
            {
                if (!sameOrigin && (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase)
                    || string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                if (string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    requestCookie = value;
                    continue;
                }

                if (ContentHeaderNames.Contains(name))
                {
                    // The length is the body's; other content headers only mean something with a body.
                    if (message.Content is { } content && !string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        content.Headers.Remove(name);
                        AddHeader(content.Headers, name, value);
                    }

                    continue;
                }

                AddHeader(message.Headers, name, value);
            }

            var jarCookie = _cookies?.GetCookieHeader(url);
            var cookie = string.IsNullOrEmpty(jarCookie) ? requestCookie : string.IsNullOrEmpty(requestCookie) ? jarCookie : $"{requestCookie}; {jarCookie}";
            if (!string.IsNullOrEmpty(cookie))
            {
                AddHeader(message.Headers, "Cookie", cookie);
            }

            var headers = message.Headers;
            if (!headers.Contains("User-Agent"))
            {
                headers.TryAddWithoutValidation("User-Agent", userAgent);
            }

            if (!headers.Contains("Accept"))
            {
                headers.TryAddWithoutValidation("Accept", DefaultAccept);
            }

            if (!headers.Contains("Accept-Language"))
            {
                headers.TryAddWithoutValidation("Accept-Language", DefaultAcceptLanguage);
            }

            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static void AddHeader(HttpHeaders headers, string name, string value)
    {
        // Values go out as given (no parsing on the hot path); a name that is not a valid token, or a value that would
        // break the header block, makes the request invalid rather than silently different.
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0 || !headers.TryAddWithoutValidation(name, value))
        {
            throw new FormatException($"The request header '{name}' is not valid.");
        }
    }

    private DownloadResult? CheckRedirect(Request request, Uri from, Uri target, List<Uri> chain)
    {
        if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
        {
            return Fail(request, from, DownloadError.RedirectBlocked, exception: null,
                $"Redirect from {UrlRedaction.UrlForLog(from)} to a {target.Scheme} URL ({UrlRedaction.UrlForLog(target)}) is not followed.");
        }

        foreach (var seen in chain)
        {
            if (seen == target)
            {
                return Fail(request, from, DownloadError.Redirects, exception: null,
                    $"Redirect loop: {UrlRedaction.UrlForLog(from)} redirects back to {UrlRedaction.UrlForLog(target)}.");
            }
        }

        if (chain.Count > _maxRedirects)
        {
            return Fail(request, from, DownloadError.Redirects, exception: null,
                $"More than {Wording.Count(_maxRedirects, "redirect")} from {UrlRedaction.UrlForLog(request.Url)}.");
        }

        if (RedirectFilter is { } filter)
        {
            bool allowed;
            try
            {
                allowed = filter(target);
            }
            catch (Exception ex)
            {
                Log.RedirectFilterFailed(_logger, UrlRedaction.UrlForLog(target), ex);
                allowed = false;
            }

            if (!allowed)
            {
                return Fail(request, from, DownloadError.RedirectBlocked, exception: null,
                    $"Redirect from {UrlRedaction.UrlForLog(from)} to {UrlRedaction.UrlForLog(target)} is refused by the redirect filter.");
            }
        }

        return null;
    }

    // As browsers do (Private Network Access): a redirect may not lead to a more private address space than its own hop.
    private async ValueTask<DownloadResult?> CheckAddressSpaceAsync(Request request, Uri from, Uri target, bool throughProxy, CancellationToken cancellationToken)
    {
        if (string.Equals(from.IdnHost, target.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // A proxy resolves names itself: asking the local resolver would tell it what the proxy is there to hide.
        var resolve = throughProxy ? null : HostResolver;
        if (await AddressSpaces.OfHostAsync(target, resolve, mostPrivate: true, cancellationToken).ConfigureAwait(false) is not { } to || to == AddressSpace.Public)
        {
            return null;
        }

        if (await AddressSpaces.OfHostAsync(from, resolve, mostPrivate: false, cancellationToken).ConfigureAwait(false) is not { } source || source <= to)
        {
            return null;
        }

        return Fail(request, from, DownloadError.RedirectBlocked, exception: null,
            $"Redirect from {UrlRedaction.UrlForLog(from)} ({AddressSpaces.Describe(source)}) to {UrlRedaction.UrlForLog(target)} ({AddressSpaces.Describe(to)}) " +
            "is refused, as browsers refuse it; --allow-private-redirects (DownloaderOptions.AllowPrivateRedirects) allows it.");
    }

    private void StoreCookies(Uri url, HttpResponseMessage response)
    {
        if (_cookies is null || !response.Headers.NonValidated.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }

        foreach (var value in values)
        {
            try
            {
                _cookies.SetCookies(url, value);
            }
            catch (CookieException ex)
            {
                Log.CookieRejected(_logger, UrlRedaction.UrlForLog(url), ex.Message);
            }
        }
    }

    private DownloadResult Fail(Request request, Uri url, DownloadError kind, Exception? exception, string? message = null)
    {
        message ??= DownloadErrors.Describe(kind, url, exception);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.DownloadFailed(_logger, request.Method, UrlRedaction.UrlForLog(url), DownloadResult.KindName(kind), message, exception);
        }

        return DownloadResult.Failure(kind, message);
    }

    // Timeout sources are pooled: a source whose timer did not fire can be reset and reused, which saves a
    // source, a timer and a linked registration list per download.
    private CancellationTokenSource RentTimeoutSource()
    {
        if (_timeoutSources.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref _pooledTimeoutSources);
            return source;
        }

        return new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
    }

    private void ReturnTimeoutSource(CancellationTokenSource source)
    {
        if (!_disposed && source.TryReset())
        {
            if (Interlocked.Increment(ref _pooledTimeoutSources) <= _maxPooledTimeoutSources)
            {
                _timeoutSources.Enqueue(source);
                return;
            }

            Interlocked.Decrement(ref _pooledTimeoutSources);
        }

        source.Dispose();
    }
}
