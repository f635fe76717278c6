using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>Fetches requests. Failures are results, never exceptions (cancellation by the caller included).</summary>
internal interface IDownloader : IDisposable
{
    /// <summary>Fetches one request, following redirects.</summary>
    ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken);

    /// <summary>
    /// Fetches one request, following redirects, reserving its body's bytes in <paramref name="share"/> (the request's
    /// share of the crawl's <see cref="ResponseByteBudget"/>) as they arrive. The caller disposes the share when it is
    /// done with the response. A downloader that keeps no bodies in memory may ignore it, as this default does.
    /// </summary>
    ValueTask<DownloadResult> DownloadAsync(Request request, ResponseByteBudget.Share? share, CancellationToken cancellationToken) =>
        DownloadAsync(request, cancellationToken);
}
