using Microsoft.Extensions.Logging;
using StackExchange.Redis;

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

/// <summary>Which clock lease deadlines and retry due times are measured by.</summary>
public enum RedisClock
{
    /// <summary>The Redis server's clock (<c>TIME</c>, read inside each script): one clock for every worker, whatever
    /// their own clocks say. Retry delays are sent as durations, so worker clock skew does not shift them.</summary>
    Server,

    /// <summary>
    /// The worker's <see cref="RedisFrontierOptions.TimeProvider"/>, sent with each script. For tests that drive time
    /// with a fake clock; in a cluster it is only as good as the agreement of the workers' clocks.
    /// </summary>
    Client,
}

/// <summary>Options for a <see cref="RedisFrontier"/>.</summary>
public sealed class RedisFrontierOptions
{
    /// <summary>The Redis URL: <c>redis://[user:password@]host[:port][/db]</c>, or <c>rediss://…</c> for TLS.</summary>
    /// <value>The default is <c>redis://127.0.0.1:6379/0</c>.</value>
    public string Url { get; set; } = "redis://127.0.0.1:6379/0";

    /// <summary>
    /// The spider's name, which names the crawl: every key is <c>trawl:{SpiderName}:…</c>, and every worker with the same
    /// name and Redis database joins the same crawl. Letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.
    /// </summary>
    /// <value>The default is <c>crawl</c>.</value>
    public string SpiderName { get; set; } = "crawl";

    /// <summary>
    /// This worker's id in lease records, heartbeats and status. A worker restarted with the same id takes back the leases
    /// of its previous run at once; with a new id they come back when they expire. Two live workers must never share an
    /// id. <see langword="null"/> for a new id (<c>host-pid-random</c>) each time.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? WorkerId { get; set; }

    /// <summary>
    /// How long a lease is held unless renewed with <see cref="RedisFrontier.RenewAsync"/>. A dead worker's requests come
    /// back to the others after at most this long; a live worker must renew (heartbeat) well within it.
    /// </summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

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

    /// <summary>Which clock lease deadlines and retry due times are measured by.</summary>
    /// <value>The default is <see cref="RedisClock.Server"/>.</value>
    public RedisClock Clock { get; set; } = RedisClock.Server;

    /// <summary>The clock for waits and backoff, and for deadlines when <see cref="Clock"/> is <see cref="RedisClock.Client"/>.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the frontier logs connection trouble and recovery; <see langword="null"/> for nowhere.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The longest <see cref="RedisFrontier.WaitToLeaseAsync(CancellationToken)"/> sleeps between looks when nothing tells it to look sooner.
    /// Changes made through a frontier wake waiting workers at once (Redis pub/sub); this bound is for what pub/sub
    /// misses: URLs pushed with <c>redis-cli lpush …:start_urls</c>, and messages lost while reconnecting.
    /// </summary>
    /// <value>The default is 2 seconds.</value>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first wait before retrying an operation that failed because Redis was unreachable.</summary>
    /// <value>The default is 100 milliseconds.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries while Redis is unreachable (the backoff doubles up to it).</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an operation keeps retrying while Redis is unreachable before it throws
    /// <see cref="RedisUnavailableException"/>; <see cref="Timeout.InfiniteTimeSpan"/> to wait for Redis forever (the
    /// worker pauses, logging a warning at each retry, and carries on when Redis is back).
    /// </summary>
    /// <value>The default is <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public TimeSpan MaxOutage { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long one attempt of an operation may take before it counts as failed and is retried.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How recently a worker must have been heard from to count as live in <see cref="RedisFrontier.GetStatusAsync"/>.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many <c>start_urls</c> messages one worker claims at a time.</summary>
    /// <value>The default is 500.</value>
    public int SeedBatchSize { get; set; } = 500;

    /// <summary>
    /// Names this worker's share of the items, for a worker that writes its own output file: each item it commits is
    /// tagged with the share, and <see cref="RedisFrontier.ReadItemsAsync"/> and the export checkpoints then see only
    /// the share's items. So the engine's item feed, resuming after a crash, replays into the file only the items this
    /// worker committed and has not written yet, never the other workers'. Give it a name that outlives the process
    /// (the CLI uses the host name and the output file's full path), so a restarted worker takes up its share again.
    /// <see langword="null"/> for none: the item log is the whole crawl's (what <c>trawl export</c> reads).
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ItemShare { get; set; }

    /// <summary>
    /// For <c>rediss://</c>: a PEM file with the certificate authority that signed the server's certificate, trusted in
    /// addition to the system's. <see langword="null"/> to trust the system's only.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? TlsCaCertificatePath { get; set; }

    /// <summary>
    /// Last changes to the StackExchange.Redis options before connecting (timeouts, certificate callbacks). The options
    /// hold the password: do not log them.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Action<ConfigurationOptions>? ConfigureConnection { get; set; }

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Url), nameof(Url), "must be a redis:// or rediss:// URL");
        try
        {
            RedisUrl.Parse(Url);
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException)
        {
            throw new ArgumentException($"{nameof(RedisFrontierOptions)}.{nameof(Url)}: {ex.Message}", nameof(Url), ex);
        }

        Require(RedisKeys.IsValidName(SpiderName), nameof(SpiderName), "must be 1-100 letters, digits, '.', '_' or '-'");
        Require(WorkerId is null || RedisKeys.IsValidName(WorkerId), nameof(WorkerId), "must be 1-100 letters, digits, '.', '_' or '-'");
        Require(LeaseDuration >= TimeSpan.FromSeconds(1) && LeaseDuration <= TimeSpan.FromDays(1), nameof(LeaseDuration), "must be between 1 second and 1 day");
        Require(Enum.IsDefined(Dedup), nameof(Dedup), "is not a known mode");
        Require(Enum.IsDefined(Clock), nameof(Clock), "is not a known clock");
        Require(BloomExpectedItems >= 1000, nameof(BloomExpectedItems), "must be at least 1,000");
        Require(BloomFalsePositiveRate is > 0 and < 0.5, nameof(BloomFalsePositiveRate), "must be between 0 and 0.5");
        if (Dedup == RedisDedup.Bloom)
        {
            Require(RedisBloomFilter.BitsFor(BloomExpectedItems, BloomFalsePositiveRate) <= RedisBloomFilter.MaxBits, nameof(BloomExpectedItems),
                "needs a Bloom filter larger than Redis's 512 MiB string limit at this false-positive rate");
        }

        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null");
        Require(IdlePollInterval >= TimeSpan.FromMilliseconds(10) && IdlePollInterval <= TimeSpan.FromMinutes(5), nameof(IdlePollInterval), "must be between 10 ms and 5 minutes");
        Require(RetryBaseDelay > TimeSpan.Zero, nameof(RetryBaseDelay), "must be positive");
        Require(RetryMaxDelay >= RetryBaseDelay, nameof(RetryMaxDelay), "must be at least RetryBaseDelay");
        Require(MaxOutage == Timeout.InfiniteTimeSpan || MaxOutage >= TimeSpan.Zero, nameof(MaxOutage), "must not be negative");
        Require(OperationTimeout > TimeSpan.Zero, nameof(OperationTimeout), "must be positive");
        Require(WorkerTimeout > TimeSpan.Zero, nameof(WorkerTimeout), "must be positive");
        Require(SeedBatchSize is >= 1 and <= 10_000, nameof(SeedBatchSize), "must be between 1 and 10,000");
        Require(TlsCaCertificatePath is null || File.Exists(TlsCaCertificatePath), nameof(TlsCaCertificatePath), "must name an existing file");
    }

    internal RedisRetryPolicy RetryPolicy => new(TimeProvider, RetryBaseDelay, RetryMaxDelay, MaxOutage, OperationTimeout);

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{nameof(RedisFrontierOptions)}.{option} {problem}.", option);
        }
    }
}
