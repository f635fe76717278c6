using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>Which clock lease deadlines and retry due times are measured by.</summary>
public enum RedisClock
{
    /// <summary>The Redis server's clock (<c>TIME</c>, read inside each script): one clock for every worker, whatever
    /// their own clocks say. Retry delays are sent as durations, so worker clock skew does not shift them.</summary>
    Server,

    /// <summary>
    /// The caller's <see cref="RedisCrawlOptions.TimeProvider"/>, sent with each script. For tests that drive time
    /// with a fake clock; in a cluster it is only as good as the agreement of the workers' clocks.
    /// </summary>
    Client,
}

/// <summary>
/// Which crawl on which Redis, and how to talk to it: what a worker's <see cref="RedisFrontier"/> and the operator's
/// <see cref="RedisCrawlAdmin"/> have in common. <see cref="RedisFrontierOptions"/> adds the worker's own settings.
/// </summary>
public class RedisCrawlOptions
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

    /// <summary>Which clock lease deadlines, retry due times and worker liveness are measured by.</summary>
    /// <value>The default is <see cref="RedisClock.Server"/>.</value>
    public RedisClock Clock { get; set; } = RedisClock.Server;

    /// <summary>The clock for waits and backoff, and for deadlines when <see cref="Clock"/> is <see cref="RedisClock.Client"/>.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where connection trouble and recovery are logged; <see langword="null"/> for nowhere.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The longest a wait (<see cref="RedisFrontier.WaitToLeaseAsync(CancellationToken)"/>,
    /// <see cref="RedisCrawlAdmin.WaitToReadItemsAsync"/>) sleeps between looks when nothing tells it to look sooner.
    /// Changes made through a frontier wake waiters at once (Redis pub/sub); this bound is for what pub/sub misses: URLs
    /// pushed with <c>redis-cli lpush …:start_urls</c>, and messages lost while reconnecting.
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
    /// <see cref="RedisUnavailableException"/>; <see cref="Timeout.InfiniteTimeSpan"/> to wait for Redis forever (a
    /// worker pauses, logging a warning at each retry, and carries on when Redis is back).
    /// </summary>
    /// <value>The default is <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public TimeSpan MaxOutage { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long one attempt of an operation may take before it counts as failed and is retried.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How recently a worker must have been heard from to count as live in <see cref="RedisCrawlAdmin.GetStatusAsync"/>.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromMinutes(1);

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
    public virtual void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Url), nameof(Url), "must be a redis:// or rediss:// URL");
        try
        {
            RedisUrl.Parse(Url);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"{GetType().Name}.{nameof(Url)}: {ex.Message}", nameof(Url), ex);
        }

        Require(RedisKeys.IsValidName(SpiderName), nameof(SpiderName), "must be 1-100 letters, digits, '.', '_' or '-'");
        Require(Enum.IsDefined(Clock), nameof(Clock), "is not a known clock");
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null");
        Require(IdlePollInterval >= TimeSpan.FromMilliseconds(10) && IdlePollInterval <= TimeSpan.FromMinutes(5), nameof(IdlePollInterval), "must be between 10 ms and 5 minutes");
        Require(RetryBaseDelay > TimeSpan.Zero, nameof(RetryBaseDelay), "must be positive");
        Require(RetryMaxDelay >= RetryBaseDelay, nameof(RetryMaxDelay), "must be at least RetryBaseDelay");
        Require(MaxOutage == Timeout.InfiniteTimeSpan || MaxOutage >= TimeSpan.Zero, nameof(MaxOutage), "must not be negative");
        Require(OperationTimeout > TimeSpan.Zero, nameof(OperationTimeout), "must be positive");
        Require(WorkerTimeout > TimeSpan.Zero, nameof(WorkerTimeout), "must be positive");
        Require(TlsCaCertificatePath is null || File.Exists(TlsCaCertificatePath), nameof(TlsCaCertificatePath), "must name an existing file");
    }

    internal RedisRetryPolicy RetryPolicy => new(TimeProvider, RetryBaseDelay, RetryMaxDelay, MaxOutage, OperationTimeout);

    internal ILogger CreateLogger() => LoggerFactory?.CreateLogger("Trawl.Redis") ?? NullLogger.Instance;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the option and its problem unless <paramref name="condition"/> holds.</summary>
    /// <exception cref="ArgumentException"><paramref name="condition"/> is false.</exception>
    protected void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{GetType().Name}.{option} {problem}.", option);
        }
    }
}
