using System.Collections.Concurrent;

namespace Trawl.Engine;

/// <summary>Thread-safe counters behind <see cref="CrawlStats"/>.</summary>
internal sealed class StatsCollector
{
    private readonly ConcurrentDictionary<int, long> _statuses = new();
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _skipped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _filtered = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _started;
    private long _requests;
    private long _pages;
    private long _items;
    private long _retries;
    private long _failed;
    private long _skippedTotal;
    private long _robotsFetches;

    public StatsCollector(TimeProvider time)
    {
        _time = time;
        _started = time.GetTimestamp();
    }

    public long Pages => Interlocked.Read(ref _pages);

    public long Items => Interlocked.Read(ref _items);

    public long Requests => Interlocked.Read(ref _requests);

    public void Request() => Interlocked.Increment(ref _requests);

    public void Response(int status) => _statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);

    public void Error(string kind) => _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public void Page() => Interlocked.Increment(ref _pages);

    public void AddItems(int count) => Interlocked.Add(ref _items, count);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Failed() => Interlocked.Increment(ref _failed);

    public void Skipped(string? kind)
    {
        Interlocked.Increment(ref _skippedTotal);
        _skipped.AddOrUpdate(kind ?? "other", 1, static (_, n) => n + 1);
    }

    public void Filtered(string kind, int count = 1) => _filtered.AddOrUpdate(kind, count, (_, n) => n + count);

    public void RobotsFetch() => Interlocked.Increment(ref _robotsFetches);

    public CrawlStats Snapshot(long exported, long dropped) => new()
    {
        Requests = Requests,
        ResponsesByStatus = new SortedDictionary<int, long>(_statuses),
        Pages = Pages,
        Items = Items,
        ItemsExported = exported,
        ItemsDropped = dropped,
        Retries = Interlocked.Read(ref _retries),
        Failed = Interlocked.Read(ref _failed),
        Skipped = Interlocked.Read(ref _skippedTotal),
        SkippedByKind = new SortedDictionary<string, long>(_skipped, StringComparer.Ordinal),
        FilteredByKind = new SortedDictionary<string, long>(_filtered, StringComparer.Ordinal),
        RobotsTxtFetches = Interlocked.Read(ref _robotsFetches),
        ErrorsByKind = new SortedDictionary<string, long>(_errors, StringComparer.Ordinal),
        Elapsed = _time.GetElapsedTime(_started),
    };
}
