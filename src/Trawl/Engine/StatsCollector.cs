using System.Collections.Concurrent;

namespace Trawl.Engine;

/// <summary>Thread-safe counters behind <see cref="CrawlStats"/>.</summary>
internal sealed class StatsCollector
{
    private readonly ConcurrentDictionary<int, long> _statuses = new();
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _started;
    private long _requests;
    private long _pages;
    private long _items;
    private long _retries;
    private long _failed;
    private long _skipped;

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

    public void Skipped() => Interlocked.Increment(ref _skipped);

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
        Skipped = Interlocked.Read(ref _skipped),
        ErrorsByKind = new SortedDictionary<string, long>(_errors, StringComparer.Ordinal),
        Elapsed = _time.GetElapsedTime(_started),
    };
}
