using System.Text.Json;

namespace Trawl.Http;

/// <summary>
/// A request to fetch one URL, and the name of the spider callback that parses its response.
/// </summary>
/// <remarks>
/// Everything a request holds serializes to JSON (<see cref="RequestJson"/>), so a job directory or a
/// Redis frontier can store it and a later process can restore it. The callback is recorded by method
/// name, never as a delegate or a type name.
/// </remarks>
public sealed class Request
{
    private RequestFingerprint? _fingerprint;
    private int _depth;

    // Created on first use: most requests (every link a page yields) have neither headers nor meta.
    private Dictionary<string, string>? _headers;
    private Dictionary<string, object?>? _meta;

    /// <summary>Creates a GET request for an absolute URL, parsed by the spider's default callback (<c>ParseAsync</c>).</summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="url"/> is not an absolute http or https URL. A relative one (<c>/page/2</c>) is refused with a
    /// message saying so: resolve links found on a page with <c>response.Follow(href)</c> or <c>response.UrlJoin(href)</c>.
    /// </exception>
    public Request(string url)
        : this(ParseAbsolute(url))
    {
    }

    /// <summary>Creates a GET request for an absolute URL, parsed by the spider's default callback (<c>ParseAsync</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http or https URL, or is one that
    /// cannot be sent or stored: a host IDNA rejects, or a lone UTF-16 surrogate, which has no UTF-8 form.</exception>
    public Request(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL.", nameof(url));
        }

        if (!LinkResolver.HasFetchableHost(url) || LinkResolver.HasLoneSurrogate(url.AbsoluteUri))
        {
            throw new ArgumentException($"'{url}' is not a valid http or https URL: its host or characters cannot be sent.", nameof(url));
        }

        Url = url;
    }

    /// <summary>The absolute URL to fetch.</summary>
    public Uri Url { get; }

    /// <summary>The HTTP method.</summary>
    /// <value>The default is <c>GET</c>.</value>
    public string Method { get; init; } = "GET";

    /// <summary>Request headers, added to the downloader's defaults. Names compare case-insensitively.</summary>
    public Dictionary<string, string> Headers
    {
        get => _headers ?? Interlocked.CompareExchange(ref _headers, new(StringComparer.OrdinalIgnoreCase), null) ?? _headers;
        init => _headers = value;
    }

    /// <summary>The request body, or <see langword="null"/> for none.</summary>
    public byte[]? Body { get; init; }

    /// <summary>Higher runs sooner. Requests of equal priority run in the order they were scheduled.</summary>
    /// <value>The default is 0.</value>
    public int Priority { get; init; }

    /// <summary>How many links away from a start request this request is. Start requests have depth 0.</summary>
    public int Depth
    {
        get => _depth;
        init => _depth = value;
    }

    /// <summary>
    /// Free-form data carried from the request to its response. Values must serialize with System.Text.Json;
    /// scheduling a request whose meta does not fails at once and names the key. After a restore,
    /// values come back as <see cref="JsonElement"/>; read them with <see cref="GetMeta{T}"/>.
    /// </summary>
    public Dictionary<string, object?> Meta
    {
        get => _meta ?? Interlocked.CompareExchange(ref _meta, new(StringComparer.Ordinal), null) ?? _meta;
        init => _meta = value;
    }

    /// <summary>When <see langword="true"/>, the request is scheduled even if its fingerprint was seen before.</summary>
    public bool DontFilter { get; init; }

    /// <summary>
    /// The name of the spider method that parses the response (<c>nameof(ParseDetail)</c>), or <see langword="null"/>
    /// for the spider's default callback, <c>ParseAsync</c>. A spider's <c>response.Follow(href, ParseDetail)</c> sets it.
    /// </summary>
    public string? Callback { get; init; }

    /// <summary>
    /// Arguments for the callback, as JSON (Scrapy's <c>cb_kwargs</c>): a callback with a third parameter,
    /// <c>ParseDetail(Response response, DetailArgs args, CancellationToken cancellationToken)</c>, receives them read as
    /// that parameter's type. They are stored with the request, so they survive a pause, a crash and a resume. A spider's
    /// <c>response.Follow(href, ParseDetail, args)</c> sets them; <see langword="null"/> for none.
    /// </summary>
    /// <remarks>They are not part of the <see cref="Fingerprint"/>: two requests for the same URL are duplicates whatever their arguments.</remarks>
    public JsonElement? CallbackArgs { get; init; }

    /// <summary>
    /// The name of the spider method called when this request finally fails, after its retries (<c>nameof(OnGone)</c>:
    /// a method taking a <c>RequestFailure</c> and a <c>CancellationToken</c> and returning
    /// <c>IAsyncEnumerable&lt;object&gt;</c>), or <see langword="null"/> for the spider's default, <c>OnErrorAsync</c>.
    /// Stored by name with the request, so a resumed job (or another Redis worker) finds it again.
    /// </summary>
    public string? Errback { get; init; }

    /// <summary>Whether the request has any headers, without creating the dictionary.</summary>
    internal bool HasHeaders => _headers is { Count: > 0 };

    /// <summary>Whether the request has any meta, without creating the dictionary.</summary>
    internal bool HasMeta => _meta is { Count: > 0 };

    /// <summary>Reads a meta value without creating the dictionary.</summary>
    internal bool TryGetMeta(string key, out object? value)
    {
        value = null;
        return _meta is { } meta && meta.TryGetValue(key, out value);
    }

    /// <summary>The stable fingerprint of this request: SHA-1 over method, canonical URL and body.</summary>
    public RequestFingerprint Fingerprint => _fingerprint ??= RequestFingerprint.Compute(Method, Url, Body);

    /// <summary>Sets the depth of a request yielded by a callback to one more than its parent's, unless it is already deeper.</summary>
    internal void DeepenTo(int depth)
    {
        if (_depth < depth)
        {
            _depth = depth;
        }
    }

    /// <summary>Reads a meta value as <typeparamref name="T"/>, whether it is the original object or a restored JSON value.</summary>
    public T? GetMeta<T>(string key)
    {
        if (!TryGetMeta(key, out var value) || value is null)
        {
            return default;
        }

        return value switch
        {
            T typed => typed,
            JsonElement element => element.Deserialize<T>(),
            _ => JsonSerializer.SerializeToElement(value).Deserialize<T>(),
        };
    }

    /// <summary>Returns a copy of this request with another URL, keeping everything else.</summary>
    public Request WithUrl(Uri url) => Copy(url, DontFilter);

    /// <summary>Returns a copy of this request that is scheduled even when its fingerprint was seen.</summary>
    internal Request WithDontFilter() => Copy(Url, dontFilter: true);

    /// <summary>
    /// Returns a copy that asks for the page only if it changed: <c>If-None-Match</c> from <paramref name="validators"/>'
    /// ETag and <c>If-Modified-Since</c> from its Last-Modified, each when it has one.
    /// </summary>
    internal Request Conditional(PageValidators validators)
    {
        var copy = Copy(Url, DontFilter);
        if (validators.ETag is { } etag)
        {
            copy.Headers["If-None-Match"] = etag;
        }

        if (validators.LastModified is { } lastModified)
        {
            copy.Headers["If-Modified-Since"] = lastModified;
        }

        return copy;
    }

    /// <summary>
    /// Returns a copy with another priority, more meta (added to this request's, winning on a shared key), the given
    /// <see cref="DontFilter"/> and callback arguments (<see langword="null"/> keeps this request's).
    /// </summary>
    internal Request With(int priority, IReadOnlyDictionary<string, object?>? meta, bool dontFilter, JsonElement? callbackArgs)
    {
        var copy = Copy(Url, dontFilter, priority, callbackArgs ?? CallbackArgs);
        if (meta is not null)
        {
            foreach (var (key, value) in meta)
            {
                copy.Meta[key] = value;
            }
        }

        return copy;
    }

    private Request Copy(Uri url, bool dontFilter) => Copy(url, dontFilter, Priority, CallbackArgs);

    private Request Copy(Uri url, bool dontFilter, int priority, JsonElement? callbackArgs) => new(url)
    {
        Method = Method,
        Headers = HasHeaders ? new Dictionary<string, string>(_headers!, StringComparer.OrdinalIgnoreCase) : null!,
        Body = Body,
        Priority = priority,
        Depth = Depth,
        Meta = HasMeta ? new Dictionary<string, object?>(_meta!, StringComparer.Ordinal) : null!,
        DontFilter = dontFilter,
        Callback = Callback,
        CallbackArgs = callbackArgs,
        Errback = Errback,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Url}";

    private static Uri ParseAbsolute(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var trimmed = url.Trim();

        // Checked before parsing: on Unix, .NET reads "/page/2" as the absolute URL file:///page/2.
        if (!HasScheme(trimmed))
        {
            throw new ArgumentException(
                $"'{url}' is a relative URL: a request needs an absolute http or https URL. In a callback, resolve a link " +
                "against its page with response.Follow(href) (or response.Follow(href, callback)), or response.UrlJoin(href).",
                nameof(url));
        }

        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{url}' is not an absolute URL.", nameof(url));
        }

        return uri;
    }

    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'.
    private static bool HasScheme(string url)
    {
        for (var i = 0; i < url.Length; i++)
        {
            var c = url[i];
            if (c == ':')
            {
                return i > 0;
            }

            if (!(char.IsAsciiLetter(c) || (i > 0 && (char.IsAsciiDigit(c) || c is '+' or '-' or '.'))))
            {
                return false;
            }
        }

        return false;
    }
}
