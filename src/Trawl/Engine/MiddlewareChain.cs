using Trawl.Downloader;
using Trawl.Http;
using Trawl.Middleware;

namespace Trawl.Engine;

/// <summary>
/// Runs the crawl's downloader middleware around a download: <see cref="DownloaderMiddleware.ProcessRequestAsync"/> in
/// order, <see cref="DownloaderMiddleware.ProcessErrorAsync"/> and <see cref="DownloaderMiddleware.ProcessResponseAsync"/>
/// in reverse order. It is the boundary around that user code: a hook that throws does not escape as an exception but
/// comes back as a <see cref="MiddlewareFault"/> naming the hook, which fails its request as <c>middleware_error</c>.
/// </summary>
/// <remarks>Without middleware every call completes synchronously and allocates nothing.</remarks>
internal sealed class MiddlewareChain(IEnumerable<DownloaderMiddleware> middleware)
{
    private readonly DownloaderMiddleware[] _middleware = [.. middleware];

    /// <summary>
    /// Runs every <see cref="DownloaderMiddleware.ProcessRequestAsync"/>: the request to download, or none with
    /// <see cref="MiddlewareResult{T}.SkippedBy"/> set when one skipped it, or the fault of one that threw.
    /// </summary>
    public ValueTask<MiddlewareResult<Request>> ProcessRequestAsync(Request request, CancellationToken cancellationToken) =>
        _middleware.Length == 0 ? new(new MiddlewareResult<Request>(request)) : ProcessRequestSlowAsync(request, cancellationToken);

    /// <summary>
    /// Runs <see cref="DownloaderMiddleware.ProcessErrorAsync"/> in reverse order until one recovers a response: that
    /// response, or none to let the failure stand, or the fault of one that threw.
    /// </summary>
    public ValueTask<MiddlewareResult<Response>> ProcessErrorAsync(Request request, DownloadResult failure, CancellationToken cancellationToken) =>
        _middleware.Length == 0 ? new(default(MiddlewareResult<Response>)) : ProcessErrorSlowAsync(request, failure, cancellationToken);

    /// <summary>Runs every <see cref="DownloaderMiddleware.ProcessResponseAsync"/> in reverse order: the response to use, or the fault of one that threw.</summary>
    public ValueTask<MiddlewareResult<Response>> ProcessResponseAsync(Response response, CancellationToken cancellationToken) =>
        _middleware.Length == 0 ? new(new MiddlewareResult<Response>(response)) : ProcessResponseSlowAsync(response, cancellationToken);

    private async ValueTask<MiddlewareResult<Request>> ProcessRequestSlowAsync(Request request, CancellationToken cancellationToken)
    {
        foreach (var middleware in _middleware)
        {
            Request? next;
            try
            {
                next = await middleware.ProcessRequestAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsFault(ex, cancellationToken))
            {
                return new MiddlewareResult<Request>(null) { Fault = new MiddlewareFault(middleware, nameof(DownloaderMiddleware.ProcessRequestAsync), ex) };
            }

            if (next is null)
            {
                return new MiddlewareResult<Request>(null) { SkippedBy = middleware };
            }

            request = next;
        }

        return new MiddlewareResult<Request>(request);
    }

    private async ValueTask<MiddlewareResult<Response>> ProcessErrorSlowAsync(Request request, DownloadResult failure, CancellationToken cancellationToken)
    {
        for (var i = _middleware.Length - 1; i >= 0; i--)
        {
            try
            {
                if (await _middleware[i].ProcessErrorAsync(request, failure, cancellationToken).ConfigureAwait(false) is { } recovered)
                {
                    return new MiddlewareResult<Response>(recovered);
                }
            }
            catch (Exception ex) when (IsFault(ex, cancellationToken))
            {
                return new MiddlewareResult<Response>(null) { Fault = new MiddlewareFault(_middleware[i], nameof(DownloaderMiddleware.ProcessErrorAsync), ex) };
            }
        }

        return default;
    }

    private async ValueTask<MiddlewareResult<Response>> ProcessResponseSlowAsync(Response response, CancellationToken cancellationToken)
    {
        for (var i = _middleware.Length - 1; i >= 0; i--)
        {
            try
            {
                response = await _middleware[i].ProcessResponseAsync(response, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("ProcessResponseAsync returned null instead of a response.");
            }
            catch (Exception ex) when (IsFault(ex, cancellationToken))
            {
                return new MiddlewareResult<Response>(null) { Fault = new MiddlewareFault(_middleware[i], nameof(DownloaderMiddleware.ProcessResponseAsync), ex) };
            }
        }

        return new MiddlewareResult<Response>(response);
    }

    // A cancellation of the crawl's own token is the crawl stopping, not a fault of the middleware.
    private static bool IsFault(Exception ex, CancellationToken cancellationToken) =>
        !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);
}

/// <summary>What a pass through the middleware gave: a value, or none because one skipped it or threw.</summary>
/// <typeparam name="T">A request or a response.</typeparam>
/// <param name="Value">The request or response to go on with, if any.</param>
internal readonly record struct MiddlewareResult<T>(T? Value)
    where T : class
{
    /// <summary>The middleware that skipped the request (returned <see langword="null"/> from its request hook).</summary>
    public DownloaderMiddleware? SkippedBy { get; init; }

    /// <summary>The fault of a middleware that threw.</summary>
    public MiddlewareFault? Fault { get; init; }
}

/// <summary>A downloader middleware's hook threw.</summary>
/// <param name="Middleware">The middleware.</param>
/// <param name="Hook">Its method that threw.</param>
/// <param name="Exception">What it threw.</param>
internal sealed record MiddlewareFault(DownloaderMiddleware Middleware, string Hook, Exception Exception)
{
    /// <summary>Names the hook for logs and records, for example <c>RotateAgents.ProcessRequestAsync</c>.</summary>
    public string Where => Middleware.GetType().Name + "." + Hook;
}
