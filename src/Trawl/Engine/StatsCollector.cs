using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Trawl.Frontier;
using Trawl.Rendering;

namespace Trawl.Engine;

/// <summary>
/// Thread-safe counters behind <see cref="CrawlStats"/>, and the one place a crawl's measurements reach
/// <see cref="CrawlMetrics"/>: each event is counted here once, for both.
/// </summary>
internal sealed class StatsCollector : IDisposable
{
    private readonly ConcurrentDictionary<int, long> _statuses = new();
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _skipped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _filtered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _failedKinds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _retryKinds = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Func<int> _inFlight;
    private long _requests;
    private long _pages;
    private long _items;
    private long _retries;
    private long _failed;
    private long _skippedTotal;
    private long _robotsFetches;
    private long _bytes;
    private long _startFailed;
    private long _unchanged;
    private long _changed;

    /// <param name="time">The crawl's clock.</param>
    /// <param name="spider">The spider's name, the <c>spider</c> tag of every measurement.</param>
    /// <param name="inFlight">Reads the requests in flight now, for the <c>trawl.requests.in_flight</c> gauge.</param>
    public StatsCollector(TimeProvider time, string spider, Func<int> inFlight)
    {
        _time = time;
        _started = time.GetTimestamp();
        _inFlight = inFlight;
        SpiderTag = new KeyValuePair<string, object?>("spider", spider);
        CrawlMetrics.Track(this);
    }

    public KeyValuePair<string, object?> SpiderTag { get; }

    /// <summary>The page fetcher, which counts the pages fetched plainly and rendered; null for none.</summary>
    public PageFetcher? Fetches { get; init; }

    public int InFlight => _inFlight();

    /// <summary>The frontier's counts as of the last progress report, for the frontier gauges; null before the first.</summary>
    public FrontierCounts? Frontier { get; set; }

    public long Pages => Interlocked.Read(ref _pages);

    public long Items => Interlocked.Read(ref _items);

    public long Requests => Interlocked.Read(ref _requests);

    public void Request() => Interlocked.Increment(ref _requests);

    /// <summary>A response arrived, with <paramref name="bytes"/> of body after content decoding.</summary>
    public void Response(int status, int bytes)
    {
        _statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);
        Interlocked.Add(ref _bytes, bytes);
        if (CrawlMetrics.PagesFetched.Enabled)
        {
            CrawlMetrics.PagesFetched.Add(1, SpiderTag, new("status_class", CrawlMetrics.StatusClass(status)));
        }

        if (CrawlMetrics.DownloadedBytes.Enabled)
        {
            CrawlMetrics.DownloadedBytes.Add(bytes, SpiderTag);
        }
    }

    /// <summary>A download attempt ended, answered or not, after <paramref name="duration"/>.</summary>
    public void Downloaded(TimeSpan duration)
    {
        if (CrawlMetrics.DownloadDuration.Enabled)
        {
            CrawlMetrics.DownloadDuration.Record(duration.TotalSeconds, SpiderTag);
        }
    }

    public void Error(string kind) => _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public void Page()
    {
        Interlocked.Increment(ref _pages);
        if (CrawlMetrics.PagesCompleted.Enabled)
        {
            CrawlMetrics.PagesCompleted.Add(1, SpiderTag);
        }
    }

    /// <summary>A page was committed done; a conditional re-fetch counts as unchanged or changed.</summary>
    public void Recrawled(RecrawlOutcome outcome)
    {
        if (outcome == RecrawlOutcome.Unchanged)
        {
            Interlocked.Increment(ref _unchanged);
        }
        else if (outcome == RecrawlOutcome.Changed)
        {
            Interlocked.Increment(ref _changed);
        }
    }

    public void AddItems(int count)
    {
        Interlocked.Add(ref _items, count);
        if (count > 0 && CrawlMetrics.Items.Enabled)
        {
            CrawlMetrics.Items.Add(count, SpiderTag);
        }
    }

    public void Retry(string kind)
    {
        Interlocked.Increment(ref _retries);
        _retryKinds.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        Count(CrawlMetrics.Retries, kind);
    }

    /// <summary>A request failed for good, as <paramref name="kind"/>; <paramref name="start"/> when it was a start request (depth 0).</summary>
    public void Failed(string kind, bool start = false)
    {
        if (start)
        {
            Interlocked.Increment(ref _startFailed);
        }

        Interlocked.Increment(ref _failed);
        _failedKinds.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        Count(CrawlMetrics.RequestsFailed, kind);
    }

    public void Skipped(string? kind)
    {
        kind ??= "other";
        Interlocked.Increment(ref _skippedTotal);
        _skipped.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        Count(CrawlMetrics.RequestsSkipped, kind);
    }

    public void Filtered(string kind, int count = 1) => _filtered.AddOrUpdate(kind, count, (_, n) => n + count);

    public void RobotsFetch() => Interlocked.Increment(ref _robotsFetches);

    /// <summary>The counters now, with the item feed's: items exported, dropped, and failed by kind (also counted as errors).</summary>
    public CrawlStats Snapshot(long exported, long dropped, IReadOnlyDictionary<string, long> itemFailures) => new()
    {
        Requests = Requests,
        ResponsesByStatus = new SortedDictionary<int, long>(_statuses),
        Pages = Pages,
        Items = Items,
        ItemsExported = exported,
        ItemsDropped = dropped,
        Retries = Interlocked.Read(ref _retries),
        RetriesByKind = new SortedDictionary<string, long>(_retryKinds, StringComparer.Ordinal),
        Failed = Interlocked.Read(ref _failed),
        FailedByKind = new SortedDictionary<string, long>(_failedKinds, StringComparer.Ordinal),
        BytesDownloaded = Interlocked.Read(ref _bytes),
        Skipped = Interlocked.Read(ref _skippedTotal),
        SkippedByKind = new SortedDictionary<string, long>(_skipped, StringComparer.Ordinal),
        FilteredByKind = new SortedDictionary<string, long>(_filtered, StringComparer.Ordinal),
        RobotsTxtFetches = Interlocked.Read(ref _robotsFetches),
        FetchedPlain = Fetches?.FetchedPlain ?? 0,
        Rendered = Fetches?.Rendered ?? 0,
        StartRequestsFailed = Interlocked.Read(ref _startFailed),
        Unchanged = Interlocked.Read(ref _unchanged),
        Changed = Interlocked.Read(ref _changed),
        ItemsFailed = itemFailures.Values.Sum(),
        ItemsFailedByKind = new SortedDictionary<string, long>(itemFailures.ToDictionary(), StringComparer.Ordinal),
        ErrorsByKind = Merge(_errors, itemFailures),
        Elapsed = _time.GetElapsedTime(_started),
    };

    private static SortedDictionary<string, long> Merge(ConcurrentDictionary<string, long> errors, IReadOnlyDictionary<string, long> more)
    {
        var merged = new SortedDictionary<string, long>(errors, StringComparer.Ordinal);
        foreach (var (kind, count) in more)
        {
            merged[kind] = merged.GetValueOrDefault(kind) + count;
        }

        return merged;
    }

    /// <summary>Stops reporting this crawl's gauges; its counters stay with whoever listened.</summary>
    public void Dispose() => CrawlMetrics.Untrack(this);

    private void Count(Counter<long> counter, string kind)
    {
        if (counter.Enabled)
        {
            counter.Add(1, SpiderTag, new("kind", kind));
        }
    }
}
