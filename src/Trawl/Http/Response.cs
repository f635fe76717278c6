using System.Text;
using Trawl.Selectors;
using Trawl.Spiders;

namespace Trawl.Http;

/// <summary>
/// A downloaded response: status, headers, body, and lazily parsed HTML for selectors.
/// </summary>
public sealed class Response
{
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

    /// <summary>The request's meta, carried to its response.</summary>
    public Dictionary<string, object?> Meta => Request.Meta;

    /// <summary>The media type from the Content-Type header, lower-cased, or an empty string.</summary>
    public string ContentType => throw new NotImplementedException();

    /// <summary>Whether the body is HTML (or XHTML), judged by the Content-Type header or, without one, by sniffing.</summary>
    public bool IsHtml => throw new NotImplementedException();

    /// <summary>The encoding used to decode <see cref="Text"/>: from the Content-Type header, a BOM, or a meta charset, else UTF-8.</summary>
    public Encoding Encoding => throw new NotImplementedException();

    /// <summary>The body decoded to text with <see cref="Encoding"/>.</summary>
    public string Text => throw new NotImplementedException();

    /// <summary>The URL relative links resolve against: the document's <c>&lt;base href&gt;</c> if any, else <see cref="Url"/>.</summary>
    public Uri BaseUrl => throw new NotImplementedException();

    /// <summary>Selects elements (or, with <c>::text</c> / <c>::attr(name)</c>, strings) with a CSS query. The HTML is parsed once, on first use.</summary>
    public SelectorList Css(string query) => throw new NotImplementedException();

    /// <summary>Resolves a possibly relative link against <see cref="BaseUrl"/>; <see langword="null"/> when it is not an http(s) URL.</summary>
    public Uri? UrlJoin(string href) => throw new NotImplementedException();

    /// <summary>
    /// Makes a request for a link found on this page, one level deeper, parsed by <paramref name="callback"/>
    /// (a method of the spider; <see langword="null"/> for <see cref="Spider.ParseAsync"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="href"/> does not resolve to an http or https URL.</exception>
    public Request Follow(string href, SpiderCallback? callback = null) => throw new NotImplementedException();
}
