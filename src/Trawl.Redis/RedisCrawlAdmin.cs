using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// Acts on a crawl shared through Redis from outside its workers: seeds it, pauses and resumes every worker, reads its
/// status, and exports its whole item log. What <c>trawl seed</c>, <c>pause</c>, <c>resume</c>, <c>export</c> and
/// <c>status --frontier</c> use. It is not a worker: it leases nothing, and never shows in the crawl's workers.
/// </summary>
/// <remarks>
/// <para>Its <see cref="Items"/> are every item of the crawl (whichever worker committed it), with export checkpoints
/// kept apart from the workers', named <c>export:HOST|OUTPUT</c>: the same path on another machine is another file.</para>
/// <para>It learns the crawl's epoch when it connects (if the crawl has a config yet), so a crawl that is deleted or
/// flushed while it works makes its calls fail with <see cref="RedisCrawlLostException"/>.</para>
/// </remarks>
public sealed class RedisCrawlAdmin : IAsyncDisposable
{
    private readonly CrawlScripts _scripts;
    private readonly CrawlEvents _events;
    private readonly CrawlItemLog _items;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idlePoll;
    private readonly TimeSpan _workerTimeout;
    private readonly ILogger _logger;
    private int _disposed;

    private RedisCrawlAdmin(RedisConnection redis, RedisCrawlOptions options, ILogger logger)
    {
        _scripts = new CrawlScripts(redis, options);
        _events = new CrawlEvents(_scripts);
        _items = new CrawlItemLog(_scripts, share: string.Empty, checkpointPrefix: "export:" + Environment.MachineName + "|", logger);
        _time = options.TimeProvider;
        _idlePoll = options.IdlePollInterval;
        _workerTimeout = options.WorkerTimeout;
        _logger = logger;
    }

    /// <summary>The crawl's key names.</summary>
    public RedisKeys Keys => _scripts.Keys;

    /// <summary>The Redis server, as a URL without its password.</summary>
    public string Endpoint => _scripts.Connection.Endpoint;

    /// <summary>
    /// The whole crawl's item log, for exporting it: every item, whichever worker committed it, with export checkpoints
    /// kept as <c>export:HOST|OUTPUT</c>, apart from the workers' own.
    /// </summary>
    public IItemLog Items => _items;

    /// <summary>
    /// Connects to Redis for the crawl named <see cref="RedisCrawlOptions.SpiderName"/>, which need not exist yet
    /// (seeding starts it). Unlike a worker, waits for Redis only within <see cref="RedisCrawlOptions.MaxOutage"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="RedisUnavailableException">Redis stayed unreachable past the outage limit, or refused the password.</exception>
    public static async Task<RedisCrawlAdmin> ConnectAsync(RedisCrawlOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.CreateLogger();
        var admin = new RedisCrawlAdmin(await RedisConnection.OpenAsync(options, $"trawl-admin-{options.SpiderName}", logger).ConfigureAwait(false), options, logger);
        try
        {
            await admin._scripts.ReadEpochAsync(cancellationToken).ConfigureAwait(false);
            return admin;
        }
        catch
        {
            await admin.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Lists the crawls in a Redis database: the spider names that have a recorded configuration or a
    /// <c>start_urls</c> list. For commands that act on "the only crawl" when no name is given.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListCrawlsAsync(IConnectionMultiplexer multiplexer, int database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        return await ScanCrawlsAsync(multiplexer.GetDatabase(database), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects to the database <see cref="RedisCrawlOptions.Url"/> names and lists its crawls, as
    /// <see cref="ListCrawlsAsync(IConnectionMultiplexer, int, CancellationToken)"/> does, retrying while Redis is
    /// unreachable for up to <see cref="RedisCrawlOptions.MaxOutage"/>. <see cref="RedisCrawlOptions.SpiderName"/> is not used.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="RedisUnavailableException">Redis stayed unreachable past the outage limit, or refused the password.</exception>
    public static async Task<IReadOnlyList<string>> ListCrawlsAsync(RedisCrawlOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.CreateLogger();
        await using var connection = await RedisConnection.OpenAsync(options, "trawl-list", logger).ConfigureAwait(false);
        return await connection.RunAsync("scan", db => ScanCrawlsAsync(db, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Schedules start requests, deduplicated, and returns how many were new: what pushing them to <c>start_urls</c>
    /// does, but applied at once, and waking waiting workers. A crawl that has no config yet gets one with exact dedup
    /// (start its first worker before seeding a crawl meant for Bloom dedup).
    /// </summary>
    /// <exception cref="ArgumentException">A request is null.</exception>
    /// <exception cref="InvalidRequestMetaException">A meta value does not serialize to JSON.</exception>
    public async ValueTask<int> SeedAsync(IEnumerable<Request> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var defaults = new RedisFrontierOptions();
        var config = await _scripts.OpenConfigAsync(defaults.Dedup, RedisBloomFilter.For(defaults.BloomExpectedItems, defaults.BloomFalsePositiveRate), cancellationToken).ConfigureAwait(false);
        return await RedisFrontier.AddRequestsAsync(_scripts, [.. requests], config.Bloom, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pauses the whole cluster: from now on no worker leases anything, and a waiting worker waits instead of finding the
    /// crawl finished. Workers hand back the leases they have not started and finish the requests in flight.
    /// </summary>
    public async ValueTask PauseAsync(CancellationToken cancellationToken)
    {
        await SetPausedAsync(true, cancellationToken).ConfigureAwait(false);
        Log.ClusterPaused(_logger, Keys.SpiderName);
    }

    /// <summary>Resumes a cluster paused with <see cref="PauseAsync"/>, and wakes the waiting workers.</summary>
    public async ValueTask ResumeAsync(CancellationToken cancellationToken)
    {
        await SetPausedAsync(false, cancellationToken).ConfigureAwait(false);
        Log.ClusterResumed(_logger, Keys.SpiderName);
    }

    /// <summary>Whether the cluster is paused.</summary>
    public async ValueTask<bool> IsPausedAsync(CancellationToken cancellationToken) =>
        await _scripts.Connection.RunAsync("exists", db => db.KeyExistsAsync(Keys.Paused), cancellationToken).ConfigureAwait(false);

    /// <summary>The whole crawl's status: counts, live workers, rates, the most frequent errors, and entries set aside as damaged.</summary>
    public async ValueTask<RedisCrawlStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Status, _scripts.Args(), cancellationToken).ConfigureAwait(false))!;
        return RedisCrawlStatus.From(Keys.SpiderName, reply, _workerTimeout);
    }

    /// <summary>
    /// Whether the whole crawl is finished: nothing pending, delayed, leased, claimed or waiting in <c>start_urls</c>, and
    /// the cluster not paused: what makes a worker's wait end.
    /// </summary>
    public async ValueTask<bool> IsFinishedAsync(CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Wait, _scripts.Args(), cancellationToken).ConfigureAwait(false))!;
        return (long)reply[1]! == 1;
    }

    /// <summary>
    /// Waits until the item log holds an item after <paramref name="afterSequence"/> (<see langword="true"/>), or the
    /// whole crawl is finished (<see cref="IsFinishedAsync"/>) without one (<see langword="false"/>): for readers that
    /// follow the items as workers commit them. Woken by pub/sub when a worker completes work, and otherwise looks again
    /// after a backoff that doubles up to <see cref="RedisCrawlOptions.IdlePollInterval"/>.
    /// </summary>
    /// <remarks>Items are committed with the completion that produced them, so once the crawl is finished every item
    /// is in the log.</remarks>
    public async ValueTask<bool> WaitToReadItemsAsync(long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        await _events.SubscribeAsync(cancellationToken).ConfigureAwait(false);
        var poll = CrawlEvents.FirstPoll;
        while (true)
        {
            // Take the signal before looking, so a change announced after the look cannot be missed; and look at
            // "finished" before the items, so items committed just before the crawl finished are not missed either.
            var changed = _events.Changed;
            var finished = await IsFinishedAsync(cancellationToken).ConfigureAwait(false);
            if ((await _items.ReadItemsAsync(afterSequence, 1, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                return true;
            }

            if (finished)
            {
                return false;
            }

            await FrontierWait.ChangeOrDelayAsync(changed, poll, _time, cancellationToken).ConfigureAwait(false);
            poll = CrawlEvents.NextPoll(poll, _idlePoll);
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _events.UnsubscribeAsync().ConfigureAwait(false);
        await _scripts.Connection.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask SetPausedAsync(bool paused, CancellationToken cancellationToken) =>
        await _scripts.EvalAsync(RedisScripts.Pause, _scripts.Args().Add(paused ? "1" : "0"), cancellationToken).ConfigureAwait(false);

    private static async Task<IReadOnlyList<string>> ScanCrawlsAsync(IDatabase db, CancellationToken cancellationToken)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var suffix in new[] { ":config", ":start_urls" })
        {
            var cursor = "0";
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reply = (RedisResult[])(await db.ExecuteAsync("SCAN", cursor, "MATCH", $"{RedisKeys.Root}*{suffix}", "COUNT", 1000).ConfigureAwait(false))!;
                cursor = (string)reply[0]!;
                foreach (var key in (string[])reply[1]!)
                {
                    var name = key[RedisKeys.Root.Length..^suffix.Length];
                    if (RedisKeys.IsValidName(name))
                    {
                        names.Add(name);
                    }
                }
            }
            while (cursor != "0");
        }

        return [.. names];
    }
}
