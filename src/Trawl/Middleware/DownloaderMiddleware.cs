using Trawl.Downloader;
using Trawl.Http;

namespace Trawl.Middleware;

/// <summary>
/// A hook around every download: add headers, rotate user agents, inspect or replace responses, and handle errors.
/// Middleware runs in order on requests and in reverse order on responses and errors.
/// </summary>
/// <remarks>
/// A hook that throws fails that request as <c>middleware_error</c> (logged with the exception, not retried) and the
/// crawl goes on.
/// </remarks>
public abstract class DownloaderMiddleware
{
    /// <summary>
    /// Called before a request is downloaded. Return it (changed in place or replaced) to go on, or
    /// <see langword="null"/> to skip it; a skipped request is recorded as skipped.
    /// </summary>
    public virtual ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken) => new(request);

    /// <summary>Called with each response. Return it, or another response to use instead.</summary>
    public virtual ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken) => new(response);

    /// <summary>
    /// Called when a download fails without a response. Return a response to recover, or <see langword="null"/>
    /// to let the failure stand (it is then retried or failed as configured).
    /// </summary>
    public virtual ValueTask<Response?> ProcessErrorAsync(Request request, DownloadResult failure, CancellationToken cancellationToken) => new((Response?)null);
}
