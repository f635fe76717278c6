using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// How a request finally failed, after its retries: what an error callback (<see cref="Request.Errback"/>, or
/// <see cref="Spider.OnErrorAsync"/>) is called with.
/// </summary>
public sealed class RequestFailure
{
    internal RequestFailure(Request request, string kind, string message, int? status, Response? response)
    {
        Request = request;
        Kind = kind;
        Message = message;
        Status = status;
        Response = response;
    }

    /// <summary>The request that failed, as it was stored (its meta included).</summary>
    public Request Request { get; }

    /// <summary>
    /// The failure's kind, as the crawl counts it: <c>timeout</c>, <c>dns</c>, <c>refused</c>, <c>http_404</c>,
    /// <c>callback</c>, <c>robots_unavailable</c> and so on.
    /// </summary>
    public string Kind { get; }

    /// <summary>A human-readable message, as the crawl records it.</summary>
    public string Message { get; }

    /// <summary>The HTTP status of the response, when there was one.</summary>
    public int? Status { get; }

    /// <summary>
    /// The response, when there was one (an HTTP error status, or a page whose callback threw), or
    /// <see langword="null"/> (a network error, a timeout).
    /// </summary>
    public Response? Response { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Message} ({Request})";
}
