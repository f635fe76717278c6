using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>Fetches requests. Failures are results, never exceptions (cancellation by the caller included).</summary>
internal interface IDownloader : IDisposable
{
    /// <summary>Fetches one request, following redirects.</summary>
    ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken);
}
