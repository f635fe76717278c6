using System.Text.Json.Nodes;
using Trawl.Http;

namespace Trawl.Engine;

/// <summary>
/// What one page gave a spider callback (<see cref="CrawlerParseExtensions.ParseAsync"/>): the response, the items and
/// requests the callback yielded, and what went wrong, if anything.
/// </summary>
public sealed class PageParseResult
{
    internal PageParseResult(Request request, Response? response, IReadOnlyList<JsonObject> items, IReadOnlyList<Request> requests, string? errorKind, string? error, Exception? exception)
    {
        Request = request;
        Response = response;
        Items = items;
        Requests = requests;
        ErrorKind = errorKind;
        Error = error;
        Exception = exception;
    }

    /// <summary>The request that was fetched, as the downloader middleware left it.</summary>
    public Request Request { get; }

    /// <summary>The response, or <see langword="null"/> when the download failed (or middleware skipped the request).</summary>
    public Response? Response { get; }

    /// <summary>The items the callback yielded, as the crawl would store them (JSON objects), in order.</summary>
    /// <remarks>A callback that throws keeps the items it yielded before, unlike in a crawl, so they can be looked at.</remarks>
    public IReadOnlyList<JsonObject> Items { get; }

    /// <summary>The requests the callback yielded, one level deeper than <see cref="Request"/>, in order; none is fetched.</summary>
    public IReadOnlyList<Request> Requests { get; }

    /// <summary>
    /// What went wrong, named as a crawl names its failures (<c>timeout</c>, <c>http_404</c>, <c>callback</c>,
    /// <c>parse_limit</c>, <c>middleware_error</c>, <c>skipped</c> …), or <see langword="null"/> when the callback ran
    /// to its end.
    /// </summary>
    public string? ErrorKind { get; }

    /// <summary>A sentence saying what went wrong, or <see langword="null"/>.</summary>
    public string? Error { get; }

    /// <summary>The exception that failed the callback or a middleware hook, if one did.</summary>
    public Exception? Exception { get; }

    /// <summary>
    /// Whether <see cref="Response"/> is the page as the browser rendered it (<see cref="Rendering.RenderOptions.Mode"/>
    /// or the request's meta asked for it), rather than as plain HTTP fetched it.
    /// </summary>
    public bool Rendered { get; internal set; }

    /// <summary>Whether the page was fetched with a 2xx status and the callback ran to its end.</summary>
    public bool Succeeded => ErrorKind is null;
}
