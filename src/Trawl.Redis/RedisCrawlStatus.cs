using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using Trawl.Frontier;

namespace Trawl.Redis;

/// <summary>A crawl's state across the whole cluster, read in one consistent step by <see cref="RedisCrawlAdmin.GetStatusAsync"/>.</summary>
/// <remarks>Holds no connection details, so it can be printed as it is.</remarks>
public sealed record RedisCrawlStatus
{
    /// <summary>The spider name.</summary>
    public required string Spider { get; init; }

    /// <summary>Requests by status, as <see cref="IFrontier.GetCountsAsync"/> counts them.</summary>
    public required FrontierCounts Counts { get; init; }

    /// <summary>Of <see cref="FrontierCounts.Pending"/>, the retries waiting for their due time.</summary>
    public long Delayed { get; init; }

    /// <summary>Messages in <c>start_urls</c> not yet claimed by a worker.</summary>
    public long SeedsWaiting { get; init; }

    /// <summary>Seed messages rejected as neither a URL nor a JSON request (the last 1,000 are kept).</summary>
    public long InvalidSeeds { get; init; }

    /// <summary>Whether the cluster is paused.</summary>
    public bool Paused { get; init; }

    /// <summary>
    /// Damaged values the scripts set aside instead of using (the <c>corrupt</c> list): malformed entries, with their
    /// requests, and counters that held no integer. Requests set aside are in no other count.
    /// </summary>
    public long Corrupt { get; init; }

    /// <summary>The newest of the values set aside (at most 10), with their raw values.</summary>
    public IReadOnlyList<RedisCorruptRecord> CorruptRecords { get; init; } = [];

    /// <summary>Items committed so far (the last item sequence).</summary>
    public long Items { get; init; }

    /// <summary>Leases handed out so far, including ones that expired.</summary>
    public long LeasesGranted { get; init; }

    /// <summary>Leases that expired and were taken back from their worker.</summary>
    public long LeasesExpired { get; init; }

    /// <summary>
    /// Leases taken back at once from workers whose liveness beat lapsed (<see cref="RedisFrontierOptions.LivenessTimeout"/>),
    /// before they expired.
    /// </summary>
    public long LeasesReclaimed { get; init; }

    /// <summary>Retries scheduled so far.</summary>
    public long Retries { get; init; }

    /// <summary>Requests done in the last five minutes (the current minute and the four before it).</summary>
    public long DoneLast5Minutes { get; init; }

    /// <summary>Requests done per second over the last five minutes, or since the first done request if that is more recent.</summary>
    public double PagesPerSecond { get; init; }

    /// <summary>Every worker that has not left cleanly, most recently seen first.</summary>
    public IReadOnlyList<RedisWorkerStatus> Workers { get; init; } = [];

    /// <summary>Error kinds of retries and failures, most frequent first (at most 10).</summary>
    public IReadOnlyList<RedisErrorCount> TopErrors { get; init; } = [];

    /// <summary>
    /// Requests that failed for good, by the kind of their last failure, most frequent first: every kind, so the counts
    /// add up to <see cref="FrontierCounts.Failed"/> (for a crawl begun before they were kept, to its failures since).
    /// </summary>
    public IReadOnlyList<RedisErrorCount> FailedByKind { get; init; } = [];

    /// <summary>Retries by the kind of failure that caused them, most frequent first: every kind, adding up to <see cref="Retries"/>.</summary>
    public IReadOnlyList<RedisErrorCount> RetriesByKind { get; init; } = [];

    /// <summary>The dedup in force: <c>exact</c>, or <c>bloom m=… k=…</c>.</summary>
    public string Dedup { get; init; } = "exact";

    /// <summary>When this status was read, by the frontier's clock.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Workers heard from within the worker timeout.</summary>
    public int LiveWorkers => Workers.Count(w => w.Live);

    internal static RedisCrawlStatus From(string spider, RedisResult[] reply, TimeSpan workerTimeout)
    {
        var counts = (long[])reply[0]!;
        var misc = (RedisResult[])reply[1]!;
        var now = long.Parse((string)misc[4]!, CultureInfo.InvariantCulture);
        var info = Pairs(reply[3]);
        var leaseHolders = ((string[])reply[4]!).GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        var done = Pairs(reply[5]);
        var workers = new List<RedisWorkerStatus>();
        var seen = Pairs(reply[2]);
        foreach (var (id, lastSeenText) in seen)
        {
            var lastSeen = (long)double.Parse(lastSeenText, CultureInfo.InvariantCulture);
            string? host = null;
            int? pid = null;
            if (info.TryGetValue(id, out var json))
            {
                try
                {
                    using var document = JsonDocument.Parse(json);
                    host = document.RootElement.TryGetProperty("host", out var h) ? h.GetString() : null;
                    pid = document.RootElement.TryGetProperty("pid", out var p) && p.TryGetInt32(out var value) ? value : null;
                }
                catch (JsonException)
                {
                    // Written by this library; a damaged description only loses the host and pid.
                }
            }

            workers.Add(new RedisWorkerStatus(
                id,
                DateTimeOffset.FromUnixTimeMilliseconds(lastSeen),
                now - lastSeen <= workerTimeout.TotalMilliseconds,
                leaseHolders.GetValueOrDefault(id),
                done.TryGetValue(id, out var d) ? long.Parse(d, CultureInfo.InvariantCulture) : 0,
                host,
                pid));
        }

        var minute = now / 60000;
        long recent = 0;
        long? firstMinute = null;
        foreach (var (bucket, count) in Pairs(reply[6]))
        {
            var m = long.Parse(bucket, CultureInfo.InvariantCulture);
            if (m >= minute - 4)
            {
                recent += long.Parse(count, CultureInfo.InvariantCulture);
                firstMinute = firstMinute is null ? m : Math.Min(firstMinute.Value, m);
            }
        }

        var windowStart = (firstMinute ?? minute) * 60000;
        var seconds = Math.Max(1, (now - windowStart) / 1000.0);
        // Errors count retries and failures alike: the retries of a kind are its errors less its failures.
        var allErrors = ErrorCounts(Pairs(reply[7]));
        var failures = ErrorCounts(Pairs(reply[10]));
        var failedOf = failures.ToDictionary(f => f.Kind, f => f.Count, StringComparer.Ordinal);
        var errors = MostFirst(allErrors).Take(10).ToList();
        var retries = allErrors.Select(e => e with { Count = e.Count - failedOf.GetValueOrDefault(e.Kind) }).Where(e => e.Count > 0);
        var config = (string?[])reply[8]!;
        var corrupt = ((RedisValue[])reply[9]!).Select(value => RedisCorruptRecord.Parse((string)value!)).ToList();
        var dedup = string.Equals(config[0], "bloom", StringComparison.Ordinal) ? $"bloom m={config[1]} k={config[2]}" : "exact";
        return new RedisCrawlStatus
        {
            Spider = spider,
            Counts = new FrontierCounts(counts[0] + counts[1], counts[2], counts[3], counts[4], counts[5]),
            Delayed = counts[1],
            LeasesGranted = counts[6],
            LeasesExpired = counts[7],
            Retries = counts[8],
            LeasesReclaimed = counts[10],
            SeedsWaiting = (long)misc[0]!,
            InvalidSeeds = (long)misc[1]!,
            Paused = (long)misc[2]! == 1,
            Corrupt = (long)misc[5]!,
            CorruptRecords = corrupt,
            Items = (long)misc[3]!,
            DoneLast5Minutes = recent,
            PagesPerSecond = recent / seconds,
            Workers = [.. workers.OrderByDescending(w => w.LastSeen)],
            TopErrors = errors,
            FailedByKind = MostFirst(failures),
            RetriesByKind = MostFirst(retries),
            Dedup = dedup,
            At = DateTimeOffset.FromUnixTimeMilliseconds(now),
        };
    }

    private static List<RedisErrorCount> ErrorCounts(Dictionary<string, string> pairs) =>
        [.. pairs.Select(e => new RedisErrorCount(e.Key, long.Parse(e.Value, CultureInfo.InvariantCulture)))];

    private static List<RedisErrorCount> MostFirst(IEnumerable<RedisErrorCount> counts) =>
        [.. counts.OrderByDescending(e => e.Count).ThenBy(e => e.Kind, StringComparer.Ordinal)];

    private static Dictionary<string, string> Pairs(RedisResult? result)
    {
        var flat = (string[])result!;
        var pairs = new Dictionary<string, string>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            pairs[flat[i]] = flat[i + 1];
        }

        return pairs;
    }
}

/// <summary>One worker of the crawl.</summary>
/// <param name="Id">The worker id.</param>
/// <param name="LastSeen">Its last heartbeat (a lease, renewal, wait or completion).</param>
/// <param name="Live">Whether it was heard from within the worker timeout.</param>
/// <param name="Leases">Leases it holds now.</param>
/// <param name="Done">Requests it completed as done.</param>
/// <param name="Host">Its host name, if it registered one.</param>
/// <param name="ProcessId">Its process id, if it registered one.</param>
public sealed record RedisWorkerStatus(string Id, DateTimeOffset LastSeen, bool Live, long Leases, long Done, string? Host, int? ProcessId);

/// <summary>How often an error kind occurred, over retries and failures.</summary>
/// <param name="Kind">The error kind, such as <c>timeout</c> or <c>http_503</c>.</param>
/// <param name="Count">How many times.</param>
public sealed record RedisErrorCount(string Kind, long Count);

/// <summary>
/// A damaged value a script set aside (one record of the <c>corrupt</c> list): where it was, its raw value, and why.
/// </summary>
/// <param name="Key">The key it was in, after the crawl's prefix, such as <c>entries</c> or <c>stats</c>.</param>
/// <param name="Field">The hash field (an entry id, a counter's name), if any.</param>
/// <param name="Value">The raw value, if there was one.</param>
/// <param name="Request">For an entry, its raw request JSON, if there was one.</param>
/// <param name="Reason">Why it was set aside.</param>
/// <param name="At">When, by the crawl's clock.</param>
/// <param name="Worker">The worker whose call found it, if a worker's.</param>
public sealed record RedisCorruptRecord(string Key, string? Field, string? Value, string? Request, string Reason, DateTimeOffset? At, string? Worker)
{
    /// <summary>Reads a stored record; one that is not a record (damaged in its turn) is kept whole as its value.</summary>
    public static RedisCorruptRecord Parse(string record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            using var document = JsonDocument.Parse(record);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                return new RedisCorruptRecord(
                    Text(root, "key") ?? "?",
                    Text(root, "field"),
                    Text(root, "value"),
                    Text(root, "request"),
                    Text(root, "reason") ?? "damaged",
                    root.TryGetProperty("at", out var at) && at.TryGetInt64(out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
                    Text(root, "worker"));
            }
        }
        catch (JsonException)
        {
            // Not JSON (the raw value was not UTF-8, or the list was written by hand): shown as it is.
        }

        return new RedisCorruptRecord("?", null, record, null, "unreadable record", null, null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString() : null;
}
