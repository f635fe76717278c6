using System.Diagnostics.CodeAnalysis;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Trawl.Html;
using Trawl.Selectors;

namespace Trawl.Http;

/// <summary>
/// A downloaded response: status, headers, body, and lazily parsed HTML for selectors.
/// </summary>
/// <remarks>
/// <see cref="Text"/> is decoded and the HTML parsed at most once, on first use, and both are safe to reach from
/// several threads. The parsed document itself is read by <see cref="Selector"/>s; use one response's selectors from
/// one thread at a time.
/// </remarks>
public sealed class Response
{
    /// <summary>
    /// The longest link, in characters, that <see cref="UrlJoin"/>, <see cref="Follow"/> and <see cref="FollowAll(SelectorList)"/>
    /// accept: 8 KB, the limit of common servers and proxies. Longer links are almost always traps or garbage.
    /// </summary>
    public const int MaxUrlLength = 8192;

    private const string DefaultLinkQuery = "a[href]";

    private readonly Lock _gate = new();
    private readonly string? _headerCharset;
    private Encoding? _encoding;
    private int _bomLength;
    private string? _text;
    private IHtmlDocument? _document;
    private Uri? _baseUrl;

    /// <summary>Creates a response. The downloader makes these; tests and middleware may too.</summary>
    public Response(Request request, Uri url, int status, IReadOnlyDictionary<string, IReadOnlyList<string>> headers, ReadOnlyMemory<byte> body, IReadOnlyList<Uri>? redirectChain = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(headers);
        Request = request;
        Url = url;
        Status = status;
        Headers = headers;
        Body = body;
        RedirectChain = redirectChain ?? [];
        (ContentType, _headerCharset) = ContentTypes.Parse(HeaderValue(headers, "Content-Type"));
        IsHtml = ContentType.Length > 0 ? ContentTypes.IsHtmlMediaType(ContentType) : ContentTypes.LooksLikeHtml(body.Span);
    }

    /// <summary>The request this response answers.</summary>
    public Request Request { get; }

    /// <summary>The final URL, after redirects.</summary>
    public Uri Url { get; }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>Response headers (content headers included). Names compare case-insensitively.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; }

    /// <summary>The raw body, after content decoding (gzip, deflate, brotli).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The URLs redirected through, in order, before <see cref="Url"/>. Empty when there was no redirect.</summary>
    public IReadOnlyList<Uri> RedirectChain { get; }

    /// <summary>
    /// The path of this page's screenshot, a full-page PNG, when it was rendered and took one
    /// (<c>RenderOptions.ScreenshotDirectory</c>); <see langword="null"/> otherwise. The file is written before the
    /// callback runs.
    /// </summary>
    public string? ScreenshotPath { get; init; }

    /// <summary>The request's meta, carried to its response.</summary>
    public Dictionary<string, object?> Meta => Request.Meta;

    /// <summary>The media type from the Content-Type header, lower-cased, or an empty string.</summary>
    /// <value>For example <c>text/html</c>; empty when the header is missing or malformed.</value>
    public string ContentType { get; }

    /// <summary>Whether the body is HTML (or XHTML), judged by the Content-Type header or, without one, by sniffing.</summary>
    /// <remarks>
    /// With a Content-Type, only <c>text/html</c> and <c>application/xhtml+xml</c> are HTML. Without one, the body is
    /// HTML when it starts (after a BOM and whitespace) with <c>&lt;!doctype html</c>, <c>&lt;html</c>, a comment or
    /// another common HTML start tag, as browsers sniff it.
    /// </remarks>
    public bool IsHtml { get; }

    /// <summary>The encoding used to decode <see cref="Text"/>: from the Content-Type header, a BOM, or a meta charset, else UTF-8.</summary>
    /// <remarks>
    /// The order is the browsers': a byte-order mark, then the Content-Type charset, then (for HTML) a
    /// <c>&lt;meta charset&gt;</c> or <c>&lt;meta http-equiv="Content-Type" content="…; charset=…"&gt;</c> in the first
    /// 4 KB, then UTF-8. An unknown or unsupported label is skipped. Legacy encodings (windows-1251, iso-8859-x,
    /// shift_jis, gbk, euc-kr, big5, …) are supported; labels mean what the WHATWG Encoding Standard says, so
    /// <c>iso-8859-1</c> decodes as windows-1252. Bytes the encoding cannot decode become U+FFFD.
    /// </remarks>
    public Encoding Encoding
    {
        get
        {
            var encoding = Volatile.Read(ref _encoding);
            if (encoding is not null)
            {
                return encoding;
            }

            lock (_gate)
            {
                if (_encoding is null)
                {
                    var detected = Charsets.Detect(_headerCharset, Body.Span, prescanMeta: IsHtml, out var bomLength);
                    _bomLength = bomLength;
                    Volatile.Write(ref _encoding, detected);
                }

                return _encoding;
            }
        }
    }

    /// <summary>The body decoded to text with <see cref="Encoding"/>, without a byte-order mark. Decoded once, on first use.</summary>
    public string Text
    {
        get
        {
            var text = Volatile.Read(ref _text);
            if (text is not null)
            {
                return text;
            }

            var encoding = Encoding;
            lock (_gate)
            {
                if (_text is null)
                {
                    DecodeCount++;
                    Volatile.Write(ref _text, encoding.GetString(Body.Span[_bomLength..]));
                }

                return _text;
            }
        }
    }

    /// <summary>The URL relative links resolve against: the document's <c>&lt;base href&gt;</c> if any, else <see cref="Url"/>.</summary>
    /// <remarks>
    /// The first <c>&lt;base&gt;</c> with an href counts, resolved against <see cref="Url"/>; it is ignored unless it
    /// gives an http(s) URL. A response that is not HTML has no base element.
    /// </remarks>
    public Uri BaseUrl => _baseUrl ??= FindBaseUrl();

    /// <summary>The number of times this response parsed its HTML: 0 or 1.</summary>
    internal int ParseCount { get; private set; }

    /// <summary>The number of times this response decoded its body to <see cref="Text"/>: 0 or 1.</summary>
    internal int DecodeCount { get; private set; }

    /// <summary>
    /// How long parsing this response's HTML may take, and what stops it early; the engine sets it before the callback
    /// runs. A parse past it throws <see cref="HtmlParseLimitException"/>, and the document stays unparsed.
    /// </summary>
    internal HtmlParseBudget ParseBudget { get; set; }

    /// <summary>The parsed HTML document, parsed on first use.</summary>
    /// <exception cref="NotSupportedException">The response is not HTML (<see cref="IsHtml"/>).</exception>
    internal IHtmlDocument Document
    {
        get
        {
            var document = Volatile.Read(ref _document);
            if (document is not null)
            {
                return document;
            }

            if (!IsHtml)
            {
                throw new NotSupportedException(
                    $"CSS selectors and XPath need an HTML response, but {Url} is {(ContentType.Length > 0 ? $"'{ContentType}'" : "not HTML (it has no Content-Type and does not start like HTML)")}. " +
                    "Check IsHtml before calling Css or XPath, or read Text or Body instead.");
            }

            var text = Text;
            lock (_gate)
            {
                if (_document is null)
                {
                    ParseCount++;
                    Volatile.Write(ref _document, HtmlParsing.Parse(text, ParseBudget));
                }

                return _document;
            }
        }
    }

    /// <summary>Selects elements (or, with <c>::text</c> / <c>::attr(name)</c>, strings) with a CSS query. The HTML is parsed once, on first use.</summary>
    /// <remarks>See <see cref="CssQuery"/> for the query language.</remarks>
    /// <exception cref="SelectorSyntaxException">The query is not valid; the message says why.</exception>
    /// <exception cref="NotSupportedException">The response is not HTML; check <see cref="IsHtml"/> first.</exception>
    public SelectorList Css(string query) => Css(CssQuery.Parse(query));

    /// <summary>Selects with a parsed query. The HTML is parsed once, on first use.</summary>
    /// <exception cref="NotSupportedException">The response is not HTML; check <see cref="IsHtml"/> first.</exception>
    public SelectorList Css(CssQuery query) => Select(query);

    /// <summary>
    /// Selects with an XPath 1.0 expression over the same parsed document: elements, <c>text()</c> nodes, <c>@attr</c>
    /// values, or one string, number or boolean. The HTML is parsed once, on first use.
    /// </summary>
    /// <remarks>See <see cref="XPathQuery"/> for how the document looks to XPath.</remarks>
    /// <exception cref="SelectorSyntaxException">The expression is not valid; the message says why.</exception>
    /// <exception cref="NotSupportedException">The response is not HTML; check <see cref="IsHtml"/> first.</exception>
    public SelectorList XPath(string expression) => XPath(XPathQuery.Parse(expression));

    /// <summary>Selects with a compiled XPath expression. The HTML is parsed once, on first use.</summary>
    /// <exception cref="NotSupportedException">The response is not HTML; check <see cref="IsHtml"/> first.</exception>
    public SelectorList XPath(XPathQuery query) => Select(query);

    private SelectorList Select(INodeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var results = new List<Selector>();
        query.Select(Document, results);
        return new SelectorList(results);
    }

    /// <summary>
    /// Evaluates a plan's fields: while tokenizing the page when the plan and the page allow it, so the page is never
    /// parsed, and from the parsed document otherwise. Either way the values are what <c>Css(query).Get()</c> (or
    /// <c>GetAll()</c>) gives for each field.
    /// </summary>
    /// <returns><see langword="false"/>, with no values, when the response is not HTML.</returns>
    internal bool TryExtract(FieldPlan plan, [NotNullWhen(true)] out FieldValues? values)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!IsHtml)
        {
            values = null;
            return false;
        }

        if (Volatile.Read(ref _document) is null && plan.CanStream)
        {
            using var utf8 = HtmlUtf8();
            if (plan.TryStream(utf8.Span, out _) is { } streamed)
            {
                values = streamed;
                return true;
            }
        }

        values = plan.Select(Document);
        return true;
    }

    /// <summary>Resolves a possibly relative link against <see cref="BaseUrl"/>; <see langword="null"/> when it is not an http(s) URL.</summary>
    /// <remarks>
    /// Leading and trailing whitespace and control characters are stripped and tabs and newlines inside are removed,
    /// as browsers do. The result is <see langword="null"/> for other schemes (<c>javascript:</c>, <c>mailto:</c>,
    /// <c>data:</c>, <c>tel:</c>, <c>ftp:</c> …), for malformed links, and for links longer than
    /// <see cref="MaxUrlLength"/>. An empty href resolves to <see cref="BaseUrl"/>. The fragment is kept. Never throws.
    /// </remarks>
    public Uri? UrlJoin(string href)
    {
        if (href is null)
        {
            return null;
        }

        return LinkResolver.Classify(href, out var cleaned) switch
        {
            LinkResolver.HrefKind.Absolute => LinkResolver.Resolve(cleaned, null),
            LinkResolver.HrefKind.Relative => LinkResolver.Resolve(cleaned, BaseUrl),
            _ => null,
        };
    }

    /// <summary>
    /// Makes a request for a link found on this page, one level deeper, parsed by the spider's default callback. In a
    /// spider, <c>response.Follow(href, ParseDetail)</c> (from <c>Trawl.Spiders</c>) names another callback.
    /// </summary>
    /// <remarks>The link resolves as in <see cref="UrlJoin"/>; the request's URL has no fragment and its depth is this request's plus one.</remarks>
    /// <exception cref="ArgumentException"><paramref name="href"/> does not resolve to an http or https URL.</exception>
    public Request Follow(string href) => FollowNamed(href, callbackName: null);

    /// <summary>
    /// Makes a request for each usable link in a selection: an element gives its href (an img or script its src), a
    /// string from <c>::attr(name)</c> or <c>::text</c> is the link itself. Links that cannot be followed (no href,
    /// another scheme, malformed, too long) are skipped.
    /// </summary>
    public IReadOnlyList<Request> FollowAll(SelectorList links) => FollowAllNamed(links, callbackName: null);

    /// <summary>Selects links with a CSS query and makes a request for each usable one, as <see cref="FollowAll(SelectorList)"/> does.</summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    /// <exception cref="NotSupportedException">The response is not HTML.</exception>
    public IReadOnlyList<Request> FollowAll(string css) => FollowAllNamed(Css(css), callbackName: null);

    /// <summary>Makes a request for each usable href, skipping the others, as <see cref="FollowAll(SelectorList)"/> does.</summary>
    public IReadOnlyList<Request> FollowAll(IEnumerable<string> hrefs) => FollowAllNamed(hrefs, callbackName: null);

    /// <summary><see cref="Follow"/>, parsed by the callback of that name (<see langword="null"/> for the default).</summary>
    internal Request FollowNamed(string href, string? callbackName)
    {
        ArgumentNullException.ThrowIfNull(href);
        var url = UrlJoin(href)
            ?? throw new ArgumentException(
                $"Cannot follow '{Shorten(href)}' from {Url}: it is not an http or https link, is malformed, or is longer than {MaxUrlLength} characters.",
                nameof(href));
        return NewFollowRequest(url, callbackName);
    }

    /// <summary><see cref="FollowAll(SelectorList)"/>, parsed by the callback of that name (<see langword="null"/> for the default).</summary>
    internal IReadOnlyList<Request> FollowAllNamed(SelectorList links, string? callbackName)
    {
        ArgumentNullException.ThrowIfNull(links);
        var requests = new List<Request>(links.Count);
        foreach (var link in links)
        {
            if (link.LinkValue() is { } href && UrlJoin(href) is { } url)
            {
                requests.Add(NewFollowRequest(url, callbackName));
            }
        }

        return requests;
    }

    /// <summary><see cref="FollowAll(IEnumerable{string})"/>, parsed by the callback of that name (<see langword="null"/> for the default).</summary>
    internal IReadOnlyList<Request> FollowAllNamed(IEnumerable<string> hrefs, string? callbackName)
    {
        ArgumentNullException.ThrowIfNull(hrefs);
        var requests = new List<Request>();
        foreach (var href in hrefs)
        {
            if (UrlJoin(href) is { } url)
            {
                requests.Add(NewFollowRequest(url, callbackName));
            }
        }

        return requests;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Status} {Url}";

    /// <summary>
    /// The distinct absolute http(s) URLs, without fragments, of the links a query selects, in document order. For the
    /// engine's declarative link following; an element gives its href (an img or script its src), a string is the link.
    /// </summary>
    /// <returns>An empty list when the response is not HTML.</returns>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    internal IReadOnlyList<Uri> Links(string css = DefaultLinkQuery) => Links(CssQuery.Parse(css));

    /// <inheritdoc cref="Links(string)" />
    internal IReadOnlyList<Uri> Links(INodeQuery query) => [.. EachLink(query)];

    /// <summary>
    /// <see cref="Links(INodeQuery)"/> one link at a time, for a caller that may stop early or keep only some: the page's
    /// hrefs are found at once (tokenized, or selected from the document), but each is resolved, and checked against the
    /// links before it, only when it is reached, so a page of a million links never holds a million URLs.
    /// </summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    internal IEnumerable<Uri> EachLink(INodeQuery query)
    {
        if (!IsHtml)
        {
            return [];
        }

        if (Volatile.Read(ref _document) is null && query is CssQuery && string.Equals(query.Text, DefaultLinkQuery, StringComparison.Ordinal))
        {
            // Only the links are wanted and nothing has parsed the page: find them without building the document.
            var hrefs = new List<string>();
            using var utf8 = HtmlUtf8();
            if (HtmlLinkScanner.TryScan(utf8.Span, hrefs, out var baseHref))
            {
                _baseUrl ??= ResolveBase(baseHref);
                return Distinct(hrefs);
            }
        }

        var document = Document;
        if (query is CssQuery { SelectsElements: true } css)
        {
            var elements = new List<IElement>();
            css.SelectElements(document, elements);
            return Distinct(elements.Select(Selector.LinkValueOf));
        }

        var selected = new List<Selector>();
        query.Select(document, selected);
        return Distinct(selected.Select(static item => item.LinkValue()));
    }

    // The usable links among hrefs, resolved and without fragments, each once, in order. A link is known by a 64-bit
    // hash of its URL rather than the URL itself: a million links cost 8 MB to tell apart, not 100. Two distinct links
    // of one page share a hash with odds of about 1 in 40 million for a million links (1 in 4 billion for 100,000; the
    // later link is then not followed); the frontier tells requests apart by their full fingerprint.
    private IEnumerable<Uri> Distinct(IEnumerable<string?> hrefs)
    {
        var seen = new HashSet<ulong>();
        foreach (var href in hrefs)
        {
            if (href is not null && UrlJoin(href) is { } resolved)
            {
                var url = LinkResolver.WithoutFragment(resolved);
                if (seen.Add(LinkResolver.Hash64(url.AbsoluteUri)))
                {
                    yield return url;
                }
            }
        }
    }

    private Request NewFollowRequest(Uri url, string? callbackName) =>
        new(LinkResolver.WithoutFragment(url))
        {
            Depth = Request.Depth + 1,
            Callback = callbackName,
        };

    private Uri FindBaseUrl()
    {
        if (!IsHtml)
        {
            return Url;
        }

        // Most pages have no <base>; a search of the bytes is cheaper than parsing a page nobody selects from.
        if (Volatile.Read(ref _document) is null)
        {
            using var utf8 = HtmlUtf8();
            if (!MayHoldBase(utf8.Span))
            {
                return Url;
            }
        }

        return ResolveBase(Document.QuerySelector("base[href]")?.GetAttribute("href"));
    }

    /// <summary>
    /// The page as UTF-8 for the fast paths that tokenize it: the body itself (after its byte-order mark) when its
    /// encoding is UTF-8, so <see cref="Text"/> is never decoded; otherwise <see cref="Text"/> transcoded. Dispose it
    /// when done.
    /// </summary>
    internal Utf8Html HtmlUtf8() =>
        Encoding.CodePage == Encoding.UTF8.CodePage ? Utf8Html.Borrow(Body[_bomLength..]) : Utf8Html.Transcode(Text);

    // Whether the page may hold a <base> tag: a '<' followed by "base" in any ASCII case.
    private static bool MayHoldBase(ReadOnlySpan<byte> html)
    {
        for (var lt = html.IndexOf((byte)'<'); lt >= 0; lt = html.IndexOf((byte)'<'))
        {
            html = html[(lt + 1)..];
            if (html.Length >= 4 && Ascii.EqualsIgnoreCase(html[..4], "base"u8))
            {
                return true;
            }
        }

        return false;
    }

    // The base URL a <base href> gives, if any: resolved against the page, and only when it is http(s).
    private Uri ResolveBase(string? href)
    {
        if (href is null)
        {
            return Url;
        }

        var resolved = LinkResolver.Classify(href, out var cleaned) switch
        {
            LinkResolver.HrefKind.Absolute => LinkResolver.Resolve(cleaned, null),
            LinkResolver.HrefKind.Relative => LinkResolver.Resolve(cleaned, Url),
            _ => null,
        };
        return resolved ?? Url;
    }

    private static string? HeaderValue(IReadOnlyDictionary<string, IReadOnlyList<string>> headers, string name)
    {
        if (!headers.TryGetValue(name, out var values))
        {
            // The dictionary should compare names case-insensitively, but one built by hand may not.
            foreach (var (key, candidate) in headers)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    values = candidate;
                    break;
                }
            }
        }

        if (values is null)
        {
            return null;
        }

        // Browsers use the last Content-Type when there are several.
        for (var i = values.Count - 1; i >= 0; i--)
        {
            if (!string.IsNullOrWhiteSpace(values[i]))
            {
                return values[i];
            }
        }

        return null;
    }

    private static string Shorten(string href) => href.Length <= 200 ? href : string.Concat(href.AsSpan(0, 200), "…");
}
