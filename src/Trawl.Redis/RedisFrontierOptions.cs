namespace Trawl.Redis;

/// <summary>How a Redis frontier deduplicates requests.</summary>
public enum RedisDedup
{
    /// <summary>An exact set of 20-byte fingerprints: no false positives, about 70 bytes of Redis memory per request.</summary>
    Exact,

    /// <summary>
    /// A Bloom filter in a Redis bitmap, sized by <see cref="RedisFrontierOptions.BloomExpectedItems"/> and
    /// <see cref="RedisFrontierOptions.BloomFalsePositiveRate"/>: fixed memory (1.7 MiB per million requests at 0.1%),
    /// at the price of dropping that fraction of new requests as if already seen.
    /// </summary>
    Bloom,
}

/// <summary>
/// Options for a worker's <see cref="RedisFrontier"/>: the crawl and connection (<see cref="RedisCrawlOptions"/>), and
/// the worker's own settings.
/// </summary>
public sealed class RedisFrontierOptions : RedisCrawlOptions
{
    /// <summary>
    /// This worker's id in lease records, heartbeats and status. A worker restarted with the same id takes back the leases
    /// of its previous run at once; with a new id they come back when they expire. Two live workers must never share an
    /// id. <see langword="null"/> for a new id (<c>host-pid-random</c>) each time.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? WorkerId { get; set; }

    /// <summary>
    /// How long a lease is held unless renewed with <see cref="RedisFrontier.RenewAsync"/>. A dead worker's requests come
    /// back to the others after at most this long, and sooner through <see cref="LivenessTimeout"/>; a live worker must
    /// renew its leases well within it.
    /// </summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How often this worker tells the crawl it is alive. The beat runs on a timer of its own, so slow downloads and
    /// callbacks do not hold it back.
    /// </summary>
    /// <value>The default is 4 seconds.</value>
    public TimeSpan LivenessInterval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long after its last liveness beat (<see cref="LivenessInterval"/>) a worker counts as dead. Any other worker
    /// then takes back all its leases at once, instead of waiting for each to expire after <see cref="LeaseDuration"/>;
    /// a live worker keeps its leases however slow its downloads are, since its beat does not wait for them. A worker
    /// stalled longer than this (Redis unreachable from it, the process frozen) is taken for dead as well: its leases are
    /// redone by others and its late completions rejected, so nothing is committed twice. <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns liveness off: a dead worker's leases then come back only as they expire.
    /// </summary>
    /// <value>The default is 12 seconds: three beats.</value>
    public TimeSpan LivenessTimeout { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>How requests are deduplicated. The first worker of a crawl records its choice; later workers adopt it.</summary>
    /// <value>The default is <see cref="RedisDedup.Exact"/>.</value>
    public RedisDedup Dedup { get; set; } = RedisDedup.Exact;

    /// <summary>With <see cref="RedisDedup.Bloom"/>: how many distinct requests the filter is sized for.</summary>
    /// <value>The default is 10,000,000.</value>
    public long BloomExpectedItems { get; set; } = 10_000_000;

    /// <summary>With <see cref="RedisDedup.Bloom"/>: the target false-positive rate once the filter holds
    /// <see cref="BloomExpectedItems"/> requests.</summary>
    /// <value>The default is 0.001 (0.1%).</value>
    public double BloomFalsePositiveRate { get; set; } = 0.001;

    /// <summary>How many <c>start_urls</c> messages one worker claims at a time.</summary>
    /// <value>The default is 500.</value>
    public int SeedBatchSize { get; set; } = 500;

    /// <summary>
    /// Names this worker's share of the items, for a worker that writes its own output file: each item it commits is
    /// tagged with the share, and <see cref="RedisFrontier.ReadItemsAsync"/> and the export checkpoints then see only
    /// the share's items. So the engine's item feed, resuming after a crash, replays into the file only the items this
    /// worker committed and has not written yet, never the other workers'. Give it a name that outlives the process
    /// (the CLI uses the host name and the output file's full path), so a restarted worker takes up its share again.
    /// <see langword="null"/> for none: the item log is the whole crawl's (what <see cref="RedisCrawlAdmin"/> reads).
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ItemShare { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(WorkerId is null || RedisKeys.IsValidName(WorkerId), nameof(WorkerId), "must be 1-100 letters, digits, '.', '_' or '-'");
        Require(LeaseDuration >= TimeSpan.FromSeconds(1) && LeaseDuration <= TimeSpan.FromDays(1), nameof(LeaseDuration), "must be between 1 second and 1 day");
        if (LivenessTimeout != Timeout.InfiniteTimeSpan)
        {
            Require(LivenessInterval >= TimeSpan.FromMilliseconds(10) && LivenessInterval <= TimeSpan.FromHours(1), nameof(LivenessInterval), "must be between 10 ms and 1 hour");
            Require(LivenessTimeout >= LivenessInterval * 2 && LivenessTimeout <= TimeSpan.FromDays(1), nameof(LivenessTimeout),
                "must be at least twice LivenessInterval and at most 1 day, or infinite to turn liveness off");
        }

        Require(Enum.IsDefined(Dedup), nameof(Dedup), "is not a known mode");
        Require(BloomExpectedItems >= 1000, nameof(BloomExpectedItems), "must be at least 1,000");
        Require(BloomFalsePositiveRate is > 0 and < 0.5, nameof(BloomFalsePositiveRate), "must be between 0 and 0.5");
        if (Dedup == RedisDedup.Bloom)
        {
            Require(RedisBloomFilter.BitsFor(BloomExpectedItems, BloomFalsePositiveRate) <= RedisBloomFilter.MaxBits, nameof(BloomExpectedItems),
                "needs a Bloom filter larger than Redis's 512 MiB string limit at this false-positive rate");
        }

        Require(SeedBatchSize is >= 1 and <= 10_000, nameof(SeedBatchSize), "must be between 1 and 10,000");
    }
}
