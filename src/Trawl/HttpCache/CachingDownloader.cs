using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Logging;

namespace Trawl.HttpCache;

/// <summary>
/// The HTTP cache as a downloader stage: answers from <see cref="HttpCacheStore"/> what it may, revalidates what it
/// must, and stores what the downloader behind it fetches. Failures of the cache itself (a full disk, a damaged entry)
/// are logged and the request goes to the network: a cache never fails a crawl.
/// </summary>
internal sealed class CachingDownloader : IDownloader
{
    private readonly IDownloader _inner;
    private readonly HttpCacheStore _store;
    private readonly HttpCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _hits;
    private long _revalidated;
    private long _stored;
    private long _fetched;
    private int _failures;

    /// <param name="inner">The downloader that fetches what the cache cannot answer; disposed with this one.</param>
    /// <param name="store">The open cache; disposed with this one.</param>
    /// <param name="options">The cache's settings, validated.</param>
    /// <param name="time">The clock of freshness and expiration.</param>
    /// <param name="logger">Where failures and the closing summary go.</param>
    public CachingDownloader(IDownloader inner, HttpCacheStore store, HttpCacheOptions options, TimeProvider time, ILogger logger)
    {
        _inner = inner;
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many responses came from the cache, without a request.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>How many stored responses a <c>304 Not Modified</c> renewed.</summary>
    public long Revalidated => Interlocked.Read(ref _revalidated);

    /// <summary>How many responses were stored.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <inheritdoc />
    public async ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken)
    {
        if (!UsesCache(request))
        {
            return await _inner.DownloadAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var key = request.Fingerprint;
        var entry = Read(request, key);
        if (entry is not null && _options.Policy == HttpCachePolicy.Rfc9111)
        {
            switch (CacheRules.Judge(entry, request, _time.GetUtcNow()))
            {
                case CacheRules.Verdict.Revalidate:
                    return await RevalidateAsync(request, key, entry, cancellationToken).ConfigureAwait(false);
                case CacheRules.Verdict.Refetch:
                    entry = null;
                    break;
            }
        }

        if (entry is not null)
        {
            return Serve(request, entry);
        }

        Interlocked.Increment(ref _fetched);
        var result = await _inner.DownloadAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.Response is { } response)
        {
            Store(request, key, response);
        }

        return result;
    }

    /// <summary>Logs what the cache did, then closes it and the downloader behind it.</summary>
    public void Dispose()
    {
        Log.HttpCacheSummary(_logger, _store.Directory, _options.Policy.ToString(), Hits, Revalidated, Stored, Interlocked.Read(ref _fetched));
        _store.Dispose();
        _inner.Dispose();
    }

    // Credentials the request carries itself may show a page others do not see; conditional and range requests are
    // their sender's own business; no-store asks to be left out.
    private bool UsesCache(Request request)
    {
        if (request.Url.UserInfo.Length > 0)
        {
            return _options.StoreRequestsWithCredentials;
        }

        if (!request.HasHeaders)
        {
            return true;
        }

        foreach (var name in request.Headers.Keys)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                if (!_options.StoreRequestsWithCredentials)
                {
                    return false;
                }
            }
            else if (name.StartsWith("If-", StringComparison.OrdinalIgnoreCase) || name.Equals("Range", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return !CacheRules.RequestForbidsStore(request);
    }

    private CachedResponse? Read(Request request, RequestFingerprint key)
    {
        CachedResponse? entry;
        try
        {
            entry = _store.Get(key);
        }
        catch (Exception ex) when (ex is SqliteException or InvalidDataException)
        {
            Failed(request, ex);
            return null;
        }

        if (entry is null || !CacheRules.VaryMatches(entry, request))
        {
            return null;
        }

        return _options.Expiration is { } expiration && _time.GetUtcNow() - entry.StoredAt > expiration ? null : entry;
    }

    private async ValueTask<DownloadResult> RevalidateAsync(Request request, RequestFingerprint key, CachedResponse entry, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetched);
        var result = await _inner.DownloadAsync(CacheRules.Conditional(request, entry), cancellationToken).ConfigureAwait(false);
        if (result.Response is not { } response)
        {
            return result;
        }

        if (response.Status == 304)
        {
            var renewed = CacheRules.Renewed(entry, response, _time.GetUtcNow());
            try
            {
                _store.Refresh(key, renewed);
            }
            catch (SqliteException ex)
            {
                Failed(request, ex);
            }

            Interlocked.Increment(ref _revalidated);
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                Log.HttpCacheRevalidated(_logger, UrlRedaction.UrlForLog(request.Url));
            }

            return DownloadResult.Success(ToResponse(request, renewed));
        }

        // The response answers the original request, not the conditional copy the downloader saw.
        var answer = new Response(request, response.Url, response.Status, response.Headers, response.Body, response.RedirectChain);
        Store(request, key, answer);
        return DownloadResult.Success(answer);
    }

    private DownloadResult Serve(Request request, CachedResponse entry)
    {
        Interlocked.Increment(ref _hits);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.HttpCacheHit(_logger, UrlRedaction.UrlForLog(request.Url), entry.Status, entry.StoredAt);
        }

        return DownloadResult.Success(ToResponse(request, entry));
    }

    private void Store(Request request, RequestFingerprint key, Response response)
    {
        var now = _time.GetUtcNow();
        if (!_options.Stores(response.Status) || !CacheRules.MayStoreAny(response.Headers)
            || (_options.Policy == HttpCachePolicy.Rfc9111 && !CacheRules.MayStore(request, response, now)))
        {
            return;
        }

        var entry = new CachedResponse(response.Url, response.Status, CacheRules.StoredHeaders(response.Headers), response.RedirectChain,
            CacheRules.VaryValues(request, response.Headers), response.Body, now);
        try
        {
            _store.Put(key, request.Method, request.Url, entry);
            Interlocked.Increment(ref _stored);
        }
        catch (SqliteException ex)
        {
            Failed(request, ex);
        }
    }

    private static Response ToResponse(Request request, CachedResponse entry) =>
        new(request, entry.Url, entry.Status, entry.Headers.ToDictionary(static pair => pair.Key, static pair => (IReadOnlyList<string>)pair.Value, StringComparer.OrdinalIgnoreCase),
            entry.Body, entry.Redirects);

    // The first failure is a warning; the same trouble on every page after it (a full disk) would drown the log.
    private void Failed(Request request, Exception ex)
    {
        var url = UrlRedaction.UrlForLog(request.Url);
        if (Interlocked.Increment(ref _failures) == 1)
        {
            Log.HttpCacheFailed(_logger, url, ex.Message, ex);
        }
        else
        {
            Log.HttpCacheFailedAgain(_logger, url, ex.Message);
        }
    }
}
