using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// A frontier shared by many workers through Redis: pending queue, dedup, leases, retries and the item log, all under
/// <c>trawl:{spider}:</c> (<see cref="RedisKeys"/>). Every worker started with the same spider name and Redis database
/// joins the same crawl.
/// </summary>
/// <remarks>
/// <para><b>Leases, not pops.</b> <see cref="TryLeaseAsync(int, CancellationToken)"/> moves requests atomically into a lease set with a deadline
/// and a token. A worker renews its leases with <see cref="RenewAsync"/> (its heartbeat). When a worker dies or stalls,
/// its leases expire and their requests go back to pending for the others; a late completion of an expired lease is
/// rejected, so its items are committed once.</para>
/// <para><b>One script per batch.</b> <see cref="CompleteAsync(IReadOnlyList{Completion}, CancellationToken)"/> applies a whole batch in one Lua script: outcomes,
/// discovered requests (deduplicated), and items appended to the item stream with increasing sequences. A request's
/// attempts count only completed attempts (done, retry, failed); a released or expired lease does not count. A
/// <see cref="Request.DontFilter"/> request is always scheduled and does not mark its fingerprint as seen.</para>
/// <para><b>Outages.</b> Every operation retries with capped exponential backoff while Redis is unreachable
/// (<see cref="RedisFrontierOptions.MaxOutage"/>); batches are memoized, so one whose reply was lost is not applied
/// twice.</para>
/// <para><b>Seeds.</b> URLs or JSON requests pushed to <c>trawl:{spider}:start_urls</c> are claimed and scheduled
/// (deduplicated) by workers as they lease and wait. Request fingerprints need the URL canonicalizer, which lives in
/// .NET, so a worker claims a batch of messages (a claim that lapses if it dies), parses them, and schedules them and
/// drops the claim in one script.</para>
/// <para><b>Waiting.</b> <see cref="WaitToLeaseAsync(CancellationToken)"/> is woken by Redis pub/sub when any worker adds, completes or
/// releases work, and otherwise looks again after a backoff that doubles up to
/// <see cref="RedisFrontierOptions.IdlePollInterval"/>, or when the next retry falls due or lease expires. A worker
/// that should linger once the crawl is finished, in case new seeds come, waits with
/// <see cref="WaitToLeaseAsync(TimeSpan, CancellationToken)"/>, which sleeps on the same signal.</para>
/// </remarks>
public sealed class RedisFrontier : IFrontier, IItemLog, IExpiringLeases, IPausableFrontier
{
    private const int AddChunk = 1000;
    private const int MaxAcksPerCall = 64;
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(50);

    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _clientClock;
    private readonly long _leaseMs;
    private readonly TimeSpan _idlePoll;
    private readonly TimeSpan _workerTimeout;
    private readonly int _seedBatch;
    private readonly bool _reclaimOwnLeases;
    private readonly RedisDedup _configuredDedup;
    private readonly RedisBloomFilter _configuredBloom;
    private readonly string _itemShare;
    private readonly string _opPrefix = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentQueue<string> _acks = new();
    private readonly Action<RedisChannel, RedisValue> _onEvent;
    private RedisBloomFilter? _bloom;
    private TaskCompletionSource _changed = NewSignal();
    private long _ops;
    private long _pauseState;
    private int _seedsWaiting = 1;
    private int _registered;
    private int _disposed;

    private RedisFrontier(RedisConnection redis, RedisFrontierOptions options, ILogger logger)
    {
        _redis = redis;
        _keys = new RedisKeys(options.SpiderName);
        _time = options.TimeProvider;
        _logger = logger;
        _clientClock = options.Clock == RedisClock.Client;
        _leaseMs = (long)Math.Ceiling(options.LeaseDuration.TotalMilliseconds);
        _idlePoll = options.IdlePollInterval;
        _workerTimeout = options.WorkerTimeout;
        _seedBatch = options.SeedBatchSize;
        _reclaimOwnLeases = options.WorkerId is not null;
        _configuredDedup = options.Dedup;
        _configuredBloom = RedisBloomFilter.For(options.BloomExpectedItems, options.BloomFalsePositiveRate);
        WorkerId = options.WorkerId ?? NewWorkerId();
        _itemShare = options.ItemShare ?? string.Empty;
        LeaseDuration = options.LeaseDuration;
        _onEvent = (_, message) => OnEvent(message);
    }

    /// <summary>The crawl's key names.</summary>
    public RedisKeys Keys => _keys;

    /// <summary>This worker's id in lease records, heartbeats and status.</summary>
    public string WorkerId { get; }

    /// <summary>How long a lease lasts unless renewed. Renew well within it (for example every third of it).</summary>
    public TimeSpan LeaseDuration { get; }

    /// <summary>The dedup mode in force: the one the crawl recorded when its first worker started.</summary>
    public RedisDedup Dedup => _bloom is null ? RedisDedup.Exact : RedisDedup.Bloom;

    /// <summary>The Redis server, as a URL without its password.</summary>
    public string Endpoint => _redis.Endpoint;

    /// <summary>
    /// Whether the cluster is paused (<see cref="PauseClusterAsync"/>), as this frontier last heard: from pub/sub when
    /// anyone pauses or resumes, and from every lease and wait. Reads nothing from Redis; see
    /// <see cref="IsClusterPausedAsync"/> for that.
    /// </summary>
    public bool IsPaused => (Volatile.Read(ref _pauseState) & 1) == 1;

    internal RedisConnection Connection => _redis;

    internal RedisBloomFilter? BloomFilter => _bloom;

    /// <summary>
    /// Connects to Redis and opens the crawl named <see cref="RedisFrontierOptions.SpiderName"/>. Returns even when
    /// Redis is down at first: the connection keeps trying, and operations wait for it (see
    /// <see cref="RedisFrontierOptions.MaxOutage"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static async Task<RedisFrontier> ConnectAsync(RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var url = RedisUrl.Parse(options.Url);
        var multiplexer = await RedisConnection.ConnectAsync(url, $"trawl-{options.SpiderName}", options.TlsCaCertificatePath, options.ConfigureConnection).ConfigureAwait(false);
        try
        {
            return await OpenAsync(multiplexer, ownsMultiplexer: true, url, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            multiplexer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the crawl on an existing connection, which the frontier does not dispose. The database and password are
    /// taken from <see cref="RedisFrontierOptions.Url"/> (the password only to keep it out of logs).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static Task<RedisFrontier> CreateAsync(IConnectionMultiplexer multiplexer, RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return OpenAsync(multiplexer, ownsMultiplexer: false, RedisUrl.Parse(options.Url), options, cancellationToken);
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
    /// Connects to the database <see cref="RedisFrontierOptions.Url"/> names and lists its crawls, as
    /// <see cref="ListCrawlsAsync(IConnectionMultiplexer, int, CancellationToken)"/> does, retrying while Redis is
    /// unreachable for up to <see cref="RedisFrontierOptions.MaxOutage"/>. <see cref="RedisFrontierOptions.SpiderName"/>
    /// is not used.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="RedisUnavailableException">Redis stayed unreachable past the outage limit, or refused the password.</exception>
    public static async Task<IReadOnlyList<string>> ListCrawlsAsync(RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var url = RedisUrl.Parse(options.Url);
        var logger = options.LoggerFactory?.CreateLogger("Trawl.Redis") ?? NullLogger.Instance;
        var multiplexer = await RedisConnection.ConnectAsync(url, "trawl-list", options.TlsCaCertificatePath, options.ConfigureConnection).ConfigureAwait(false);
        var connection = new RedisConnection(multiplexer, ownsMultiplexer: true, url.Database, url.RedactedUrl, url.Password, options.RetryPolicy, logger);
        await using var disposeConnection = connection.ConfigureAwait(false);
        return await connection.RunAsync("scan", db => ScanCrawlsAsync(db, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A worker id for <see cref="RedisFrontierOptions.WorkerId"/> that a worker gets again when it is restarted on this
    /// host with the same <paramref name="key"/> (the CLI uses its item share: the host and the output file's full
    /// path), so the restarted worker takes back its previous run's leases at once: <c>HOST-</c> and 12 hex digits of
    /// the key's SHA-256. Two live workers must not use the same key.
    /// </summary>
    public static string StableWorkerId(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return $"{HostPart()}-{hash}";
    }

    /// <inheritdoc />
    public async ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var added = 0;
        for (var start = 0; start < requests.Count; start += AddChunk)
        {
            var count = Math.Min(AddChunk, requests.Count - start);
            var op = NextOp();
            var args = Args(worker: false, 1 + (count * 3));
            args.Add(op);
            for (var i = start; i < start + count; i++)
            {
                AddRequestArgs(args, requests[i] ?? throw new ArgumentException("A request is null.", nameof(requests)));
            }

            added += (int)(long)await EvalAsync(RedisScripts.Add, args, cancellationToken).ConfigureAwait(false);
            _acks.Enqueue(op);
        }

        if (added > 0)
        {
            Signal();
        }

        return added;
    }

    /// <summary>
    /// Schedules start requests, deduplicated, and returns how many were new: what pushing them to
    /// <c>start_urls</c> does, but applied at once.
    /// </summary>
    public async ValueTask<int> SeedAsync(IEnumerable<Request> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var added = 0;
        foreach (var chunk in requests.Chunk(AddChunk))
        {
            added += await AddAsync(chunk, cancellationToken).ConfigureAwait(false);
        }

        return added;
    }

    /// <inheritdoc />
    /// <remarks>
    /// If Redis's reply is lost (a restart or network blip), the call is sent again and returns the leases the first
    /// attempt granted, rather than leasing more and leaving those stranded until they expire.
    /// </remarks>
    public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) =>
        TryLeaseAsync(max, NextOp(), acknowledge: true, cancellationToken);

    /// <summary>
    /// Leases as the operation <paramref name="op"/>: sent again with the same id, it returns the same leases (those still
    /// held). <paramref name="acknowledge"/> lets the next call forget them (tests leave it to act as a lost reply).
    /// </summary>
    internal async ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, string op, bool acknowledge, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _seedsWaiting) == 1)
        {
            await DrainStartUrlsAsync(cancellationToken).ConfigureAwait(false);
        }

        var args = Args(worker: true, 3);
        args.Add(max);
        args.Add(_leaseMs);
        args.Add(op);
        var reply = (RedisResult[])(await EvalAsync(RedisScripts.Lease, args, cancellationToken).ConfigureAwait(false))!;
        ObservePauseState((long)reply[0]!);
        Volatile.Write(ref _seedsWaiting, (long)reply[1]! > 0 ? 1 : 0);
        var count = (int)(long)reply[3]!;
        if (count == 0)
        {
            return [];
        }

        if (acknowledge)
        {
            _acks.Enqueue(op);
        }

        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)reply[2]!);
        var leases = new List<Lease>(count);
        List<(string Id, string Token, string Error)>? corrupt = null;
        for (var i = 0; i < count; i++)
        {
            var at = 4 + (i * 4);
            var id = (string)reply[at]!;
            var token = (string)reply[at + 1]!;
            var attempts = (int)(long)reply[at + 2]!;
            try
            {
                var request = RequestJson.Deserialize((byte[])reply[at + 3]!);
                leases.Add(new Lease(long.Parse(id, CultureInfo.InvariantCulture), long.Parse(token, CultureInfo.InvariantCulture), request, attempts + 1, expiresAt));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
            {
                Log.CorruptRequest(_logger, long.Parse(id, CultureInfo.InvariantCulture), ex.Message);
                (corrupt ??= []).Add((id, token, ex.Message));
            }
        }

        if (corrupt is not null)
        {
            await FailCorruptAsync(corrupt, cancellationToken).ConfigureAwait(false);
        }

        return leases;
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see langword="false"/> only when the whole crawl is finished: nothing pending, delayed, leased (by any worker)
    /// or waiting in <c>start_urls</c>, and the cluster is not paused. While the cluster is paused it waits.
    /// </remarks>
    public async ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        var poll = MinPoll;
        while (true)
        {
            // Take the signal before looking, so a change announced after the look cannot be missed.
            var changed = Volatile.Read(ref _changed).Task;
            if (Volatile.Read(ref _seedsWaiting) == 1)
            {
                await DrainStartUrlsAsync(cancellationToken).ConfigureAwait(false);
            }

            var lookedAt = _time.GetUtcNow();
            var reply = (RedisResult[])(await EvalAsync(RedisScripts.Wait, Args(worker: true, 0), cancellationToken).ConfigureAwait(false))!;
            ObservePauseState((long)reply[2]!);
            var seeds = (long)reply[4]!;
            Volatile.Write(ref _seedsWaiting, seeds > 0 ? 1 : 0);
            if ((long)reply[0]! == 1)
            {
                return true;
            }

            if ((long)reply[1]! == 1)
            {
                return false;
            }

            if (seeds > 0 && (long)reply[2]! == 0)
            {
                continue;
            }

            // Deadlines are measured from when we looked, so a clock that jumped while Redis answered (a test's fake
            // clock) makes them due at once rather than late.
            var wakeAt = lookedAt + poll;
            var eventIn = (long)reply[3]!;
            if (eventIn >= 0 && lookedAt + TimeSpan.FromMilliseconds(eventIn) < wakeAt)
            {
                wakeAt = lookedAt + TimeSpan.FromMilliseconds(eventIn);
            }

            poll = poll * 2 > _idlePoll ? _idlePoll : poll * 2;
            var delay = wakeAt - _time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                continue;
            }

            await FrontierWait.ChangeOrDelayAsync(changed, delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits like <see cref="WaitToLeaseAsync(CancellationToken)"/>, but believes the crawl finished only once it has
    /// stayed finished for <paramref name="linger"/>, since a new seed may still bring work; with
    /// <see cref="Timeout.InfiniteTimeSpan"/> it never does, and waits for new work for ever. What a worker of a shared
    /// crawl calls when it has nothing to do.
    /// </summary>
    /// <remarks>
    /// While the crawl is finished it makes no calls to Redis: it sleeps until a change is announced (pub/sub: a worker
    /// adds or releases work, schedules seeds, or the cluster is resumed), and looks again at least every
    /// <see cref="RedisFrontierOptions.IdlePollInterval"/> for what pub/sub misses (URLs pushed to <c>start_urls</c>
    /// with <c>redis-cli</c>, messages lost while reconnecting).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="linger"/> is negative (other than infinite).</exception>
    public async ValueTask<bool> WaitToLeaseAsync(TimeSpan linger, CancellationToken cancellationToken)
    {
        if (linger < TimeSpan.Zero && linger != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(linger), linger, "The linger must not be negative.");
        }

        long? finishedSince = null;
        while (true)
        {
            // Take the signal before looking, so a change announced after the look cannot be missed.
            var changed = Volatile.Read(ref _changed).Task;
            if (await WaitToLeaseAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            finishedSince ??= _time.GetTimestamp();
            var delay = _idlePoll;
            if (linger != Timeout.InfiniteTimeSpan)
            {
                var left = linger - _time.GetElapsedTime(finishedSince.Value);
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                delay = left < delay ? left : delay;
            }

            await FrontierWait.ChangeOrDelayAsync(changed, delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One Lua script for the whole batch. If Redis's reply is lost (a restart or network blip), the batch is sent again
    /// and the script returns the first run's result instead of applying it twice.
    /// </remarks>
    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) =>
        CompleteAsync(completions, NextOp(), acknowledge: true, cancellationToken);

    /// <summary>
    /// Completes a batch as the operation <paramref name="op"/>: sent again with the same id, it is not applied twice.
    /// <paramref name="acknowledge"/> lets the next call forget the memoized result (tests leave it to act as a lost reply).
    /// </summary>
    internal async ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, string op, bool acknowledge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return new CompletionResult([], [], 0);
        }

        var args = Args(worker: true, 2 + (completions.Count * 9));
        args.Add(op);
        args.Add(completions.Count);
        var nowForDelay = _time.GetUtcNow();
        foreach (var completion in completions)
        {
            if (completion is null)
            {
                throw new ArgumentException("A completion is null.", nameof(completions));
            }

            var done = completion.Status == CompletionStatus.Done;
            var delayMs = completion.Status == CompletionStatus.Retry ? Math.Max(0, (long)Math.Ceiling((completion.RetryAt - nowForDelay).TotalMilliseconds)) : 0;
            AddCompletionArgs(args, EntryKey(completion.Lease.EntryId), completion.Lease.Token.ToString(CultureInfo.InvariantCulture), completion.Status switch
            {
                CompletionStatus.Done => "d",
                CompletionStatus.Retry => "r",
                CompletionStatus.Failed => "f",
                _ => "s",
            }, delayMs, completion.HttpStatus, completion.ErrorKind, completion.Error, done ? completion.Discovered : [], done ? completion.Items : []);
        }

        args.Add(_itemShare);

        var reply = ((string)(await EvalAsync(RedisScripts.Complete, args, cancellationToken).ConfigureAwait(false))!).Split(' ');
        if (acknowledge)
        {
            _acks.Enqueue(op);
        }

        var flags = reply[0];
        var sequence = long.Parse(reply[1], CultureInfo.InvariantCulture);
        var added = int.Parse(reply[2], CultureInfo.InvariantCulture);
        var accepted = new bool[completions.Count];
        var items = new List<CommittedItem>();
        for (var i = 0; i < completions.Count; i++)
        {
            accepted[i] = flags[i] == '1';
            if (accepted[i] && completions[i].Status == CompletionStatus.Done)
            {
                foreach (var item in completions[i].Items)
                {
                    items.Add(new CommittedItem(sequence++, item));
                }
            }
        }

        Signal();
        return new CompletionResult(accepted, items, added);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return;
        }

        var args = Args(worker: false, leases.Count * 2);
        AddLeaseArgs(args, leases);
        await EvalAsync(RedisScripts.Release, args, cancellationToken).ConfigureAwait(false);
        Signal();
    }

    /// <inheritdoc />
    /// <remarks>Also this worker's heartbeat: call it regularly, with or without leases, so status shows it live.</remarks>
    public async ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        await RenewLeasesAsync(leases, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews leases like <see cref="RenewAsync"/>, and returns how many were still held and were renewed.</summary>
    public async ValueTask<int> RenewLeasesAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        var args = Args(worker: true, 1 + (leases.Count * 2));
        args.Add(_leaseMs);
        AddLeaseArgs(args, leases);
        var reply = (RedisResult[])(await EvalAsync(RedisScripts.Renew, args, cancellationToken).ConfigureAwait(false))!;
        var renewed = (int)(long)reply[0]!;
        if (renewed < leases.Count)
        {
            Log.LeasesLost(_logger, leases.Count - renewed, leases.Count);
        }

        return renewed;
    }

    /// <inheritdoc />
    /// <remarks>Pending counts requests due now and retries waiting for their time; seeds still in <c>start_urls</c>
    /// are not counted (see <see cref="GetStatusAsync"/>).</remarks>
    public async ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken)
    {
        var reply = (long[])(await EvalAsync(RedisScripts.Counts, Args(worker: false, 0), cancellationToken).ConfigureAwait(false))!;
        return new FrontierCounts(reply[0] + reply[1], reply[2], reply[3], reply[4], reply[5]);
    }

    /// <summary>The whole crawl's status: counts, live workers, rates and the most frequent errors.</summary>
    public async ValueTask<RedisCrawlStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await EvalAsync(RedisScripts.Status, Args(worker: false, 0), cancellationToken).ConfigureAwait(false))!;
        return RedisCrawlStatus.From(_keys.SpiderName, reply, _workerTimeout);
    }

    /// <summary>
    /// Pauses the whole cluster: from now on no worker leases anything, and <see cref="WaitToLeaseAsync(CancellationToken)"/> waits instead of
    /// reporting the crawl finished. Leases already taken are completed as usual.
    /// </summary>
    /// <remarks>The engine, seeing <see cref="IsPaused"/>, also hands back the leases it has not started and waits, so
    /// workers finish only the requests in flight.</remarks>
    public async ValueTask PauseClusterAsync(CancellationToken cancellationToken)
    {
        var args = Args(worker: false, 1);
        args.Add("1");
        ObservePauseState((long)await EvalAsync(RedisScripts.Pause, args, cancellationToken).ConfigureAwait(false));
        Log.ClusterPaused(_logger, _keys.SpiderName);
    }

    /// <summary>Resumes a cluster paused with <see cref="PauseClusterAsync"/>, and wakes the waiting workers.</summary>
    public async ValueTask ResumeClusterAsync(CancellationToken cancellationToken)
    {
        var args = Args(worker: false, 1);
        args.Add("0");
        ObservePauseState((long)await EvalAsync(RedisScripts.Pause, args, cancellationToken).ConfigureAwait(false));
        Log.ClusterResumed(_logger, _keys.SpiderName);
    }

    /// <summary>Whether the cluster is paused.</summary>
    public async ValueTask<bool> IsClusterPausedAsync(CancellationToken cancellationToken) =>
        await _redis.RunAsync("exists", db => db.KeyExistsAsync(_keys.Paused), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Whether the whole crawl is finished: nothing pending, delayed, leased, claimed or waiting in <c>start_urls</c>, and
    /// the cluster not paused; what makes <see cref="WaitToLeaseAsync(CancellationToken)"/> return <see langword="false"/>. Unlike it, this
    /// does not count the caller as a worker.
    /// </summary>
    public async ValueTask<bool> IsFinishedAsync(CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await EvalAsync(RedisScripts.Wait, Args(worker: false, 0), cancellationToken).ConfigureAwait(false))!;
        return (long)reply[1]! == 1;
    }

    /// <summary>
    /// Waits until the item log holds an item after <paramref name="afterSequence"/> (<see langword="true"/>), or the
    /// whole crawl is finished (<see cref="IsFinishedAsync"/>) without one (<see langword="false"/>): for readers that
    /// follow the items as workers commit them. Woken by pub/sub when a worker completes work, and otherwise looks again
    /// after a backoff that doubles up to <see cref="RedisFrontierOptions.IdlePollInterval"/>.
    /// </summary>
    /// <remarks>Items are committed with the completion that produced them, so once the crawl is finished every item
    /// is in the log.</remarks>
    public async ValueTask<bool> WaitToReadItemsAsync(long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        var poll = MinPoll;
        while (true)
        {
            // Take the signal before looking, so a change announced after the look cannot be missed; and look at
            // "finished" before the items, so items committed just before the crawl finished are not missed either.
            var changed = Volatile.Read(ref _changed).Task;
            var finished = await IsFinishedAsync(cancellationToken).ConfigureAwait(false);
            if ((await ReadItemsAsync(afterSequence, 1, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                return true;
            }

            if (finished)
            {
                return false;
            }

            await FrontierWait.ChangeOrDelayAsync(changed, poll, _time, cancellationToken).ConfigureAwait(false);
            poll = poll * 2 > _idlePoll ? _idlePoll : poll * 2;
        }
    }

    /// <inheritdoc />
    /// <remarks>With <see cref="RedisFrontierOptions.ItemShare"/> set, reads only the items this share committed (the
    /// items are the whole crawl's otherwise), and its export checkpoints are the share's own.</remarks>
    public async ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        var items = new List<CommittedItem>();
        while (true)
        {
            // A share's items are scattered among the others': look through the stream a window at a time until some
            // turn up or it ends.
            var args = Args(worker: false, 4);
            args.Add(afterSequence);
            args.Add(max);
            args.Add(_itemShare.Length == 0 ? max : Math.Max(max, 1000));
            args.Add(_itemShare);
            var reply = (RedisResult[])(await EvalAsync(RedisScripts.Items, args, cancellationToken).ConfigureAwait(false))!;
            for (var i = 1; i + 1 < reply.Length; i += 2)
            {
                items.Add(new CommittedItem(long.Parse((string)reply[i]!, CultureInfo.InvariantCulture), (byte[])reply[i + 1]!));
            }

            var last = long.Parse((string)reply[0]!, CultureInfo.InvariantCulture);
            if (items.Count > 0 || last == 0)
            {
                return items;
            }

            afterSequence = last;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var value = await _redis.RunAsync("hget", db => db.HashGetAsync(_keys.Exports, ExportField(output)), cancellationToken).ConfigureAwait(false);
        if (value.IsNull)
        {
            return new ExportCheckpoint(0, 0);
        }

        var parts = ((string)value!).Split(' ');
        return new ExportCheckpoint(long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public async ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var args = Args(worker: false, 2);
        args.Add(ExportField(output));
        args.Add(string.Create(CultureInfo.InvariantCulture, $"{checkpoint.Sequence} {checkpoint.Position}"));
        await EvalAsync(RedisScripts.Checkpoint, args, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Leaves the crawl: stops listening for changes and, if this worker leased or waited, removes it from the live
    /// workers. Leases still held are not released (call <see cref="ReleaseAsync"/> first to hand them over at once);
    /// they come back to the others when they expire.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        var channel = new RedisChannel(_keys.Events, RedisChannel.PatternMode.Literal);
        await _redis.TryOnceAsync(_ => _redis.Multiplexer.GetSubscriber().UnsubscribeAsync(channel, _onEvent), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        if (Volatile.Read(ref _registered) == 1)
        {
            var args = Args(worker: true, 0).ToArray();
            args[1] = NowArg();
            await _redis.TryOnceAsync(db => RedisScripts.Leave.EvaluateAsync(db, args), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        await _redis.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Claims a batch of <c>start_urls</c> messages, parses each as a URL or a JSON request, and schedules them
    /// (deduplicated) while dropping the claim, in one script. Returns how many requests were new.
    /// </summary>
    internal async ValueTask<int> DrainStartUrlsAsync(CancellationToken cancellationToken)
    {
        var args = Args(worker: false, 2);
        args.Add(_seedBatch);
        args.Add(_leaseMs);
        var claim = (RedisResult[])(await EvalAsync(RedisScripts.SeedClaim, args, cancellationToken).ConfigureAwait(false))!;
        var claimId = (long)claim[0]!;
        if (claimId == 0)
        {
            Volatile.Write(ref _seedsWaiting, 0);
            return 0;
        }

        var requests = new List<Request>(claim.Length - 1);
        var invalid = new List<(byte[] Message, string Reason)>();
        for (var i = 1; i < claim.Length; i++)
        {
            var message = (byte[])claim[i]!;
            if (TryParseSeed(message, out var request, out var reason))
            {
                requests.Add(request);
            }
            else
            {
                invalid.Add((message, reason));
            }
        }

        var add = Args(worker: false, 2 + (invalid.Count * 2) + (requests.Count * 3));
        add.Add(claimId);
        add.Add(invalid.Count);
        foreach (var (message, reason) in invalid)
        {
            add.Add(message);
            add.Add(reason);
        }

        foreach (var request in requests)
        {
            AddRequestArgs(add, request);
        }

        var added = (long)await EvalAsync(RedisScripts.SeedAdd, add, cancellationToken).ConfigureAwait(false);
        if (added < 0)
        {
            Log.SeedClaimLapsed(_logger);
            return 0;
        }

        if (invalid.Count > 0)
        {
            Log.SeedsInvalid(_logger, invalid.Count, invalid[0].Reason);
        }

        Log.SeedsScheduled(_logger, added, requests.Count);
        if (added > 0)
        {
            Signal();
        }

        return (int)added;
    }

    /// <summary>Parses one <c>start_urls</c> message: an absolute http(s) URL, or a JSON request (at least <c>url</c>).</summary>
    internal static bool TryParseSeed(byte[] message, out Request request, out string reason)
    {
        request = null!;
        reason = string.Empty;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(message).Trim();
        }
        catch (DecoderFallbackException)
        {
            reason = "not UTF-8";
            return false;
        }

        try
        {
            if (text.StartsWith('{'))
            {
                using var document = JsonDocument.Parse(text);
                request = RequestJson.Read(document.RootElement);
            }
            else
            {
                request = new Request(text);
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            reason = ex.Message;
            return false;
        }
    }

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

    private static async Task<RedisFrontier> OpenAsync(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, RedisUrl url, RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        var logger = options.LoggerFactory?.CreateLogger("Trawl.Redis") ?? NullLogger.Instance;
        var connection = new RedisConnection(multiplexer, ownsMultiplexer, url.Database, url.RedactedUrl, url.Password, options.RetryPolicy, logger);
        var frontier = new RedisFrontier(connection, options, logger);
        await frontier.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return frontier;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var args = Args(worker: false, 3);
        args.Add(_configuredDedup == RedisDedup.Bloom ? "bloom" : "exact");
        args.Add(_configuredBloom.Bits);
        args.Add(_configuredBloom.Hashes);
        var config = (RedisResult[])(await EvalAsync(RedisScripts.Config, args, cancellationToken).ConfigureAwait(false))!;
        var recorded = (string)config[0]!;
        if (string.Equals(recorded, "bloom", StringComparison.Ordinal))
        {
            _bloom = new RedisBloomFilter(long.Parse((string)config[1]!, CultureInfo.InvariantCulture), int.Parse((string)config[2]!, CultureInfo.InvariantCulture));
        }

        var configured = _configuredDedup == RedisDedup.Bloom ? "bloom" : "exact";
        if (!string.Equals(recorded, configured, StringComparison.Ordinal)
            || (_bloom is not null && (_bloom.Bits != _configuredBloom.Bits || _bloom.Hashes != _configuredBloom.Hashes)))
        {
            Log.DedupAdopted(_logger, _keys.SpiderName, _bloom is null ? recorded : $"bloom m={_bloom.Bits} k={_bloom.Hashes}", configured);
        }

        var channel = new RedisChannel(_keys.Events, RedisChannel.PatternMode.Literal);
        await _redis.RunAsync("subscribe", async _ =>
        {
            await _redis.Multiplexer.GetSubscriber().SubscribeAsync(channel, _onEvent).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        if (_reclaimOwnLeases)
        {
            var reclaimed = (long)await EvalAsync(RedisScripts.ReclaimWorker, Args(worker: true, 0), cancellationToken).ConfigureAwait(false);
            if (reclaimed > 0)
            {
                Log.LeasesReclaimed(_logger, WorkerId, reclaimed);
            }
        }

        Log.Connected(_logger, _keys.SpiderName, _redis.Endpoint, WorkerId, _bloom is null ? "exact" : $"bloom m={_bloom.Bits} k={_bloom.Hashes}");
    }

    private async ValueTask EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _registered) == 1)
        {
            return;
        }

        var info = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["started"] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        });
        var args = Args(worker: true, 1);
        args.Add(info);
        await EvalAsync(RedisScripts.Register, args, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _registered, 1);
    }

    private async ValueTask FailCorruptAsync(List<(string Id, string Token, string Error)> corrupt, CancellationToken cancellationToken)
    {
        var op = NextOp();
        var args = Args(worker: true, 2 + (corrupt.Count * 9));
        args.Add(op);
        args.Add(corrupt.Count);
        foreach (var (id, token, error) in corrupt)
        {
            AddCompletionArgs(args, id, token, "f", 0, null, "corrupt_request", error, [], []);
        }

        args.Add(_itemShare);

        await EvalAsync(RedisScripts.Complete, args, cancellationToken).ConfigureAwait(false);
        _acks.Enqueue(op);
    }

    // A share's checkpoints are its own: two workers may well write files of the same name on different machines.
    private string ExportField(string output) => _itemShare.Length == 0 ? output : _itemShare + "|" + output;

    private void AddCompletionArgs(List<RedisValue> args, string id, string token, string status, long delayMs, int? httpStatus, string? kind, string? error,
        IReadOnlyList<Request> discovered, IReadOnlyList<byte[]> items)
    {
        args.Add(id);
        args.Add(token);
        args.Add(status);
        args.Add(delayMs);
        args.Add(httpStatus is { } http ? http.ToString(CultureInfo.InvariantCulture) : string.Empty);
        args.Add(kind ?? string.Empty);
        args.Add(error ?? string.Empty);
        args.Add(discovered.Count);
        args.Add(items.Count);
        foreach (var request in discovered)
        {
            AddRequestArgs(args, request ?? throw new ArgumentException("A discovered request is null."));
        }

        foreach (var item in items)
        {
            args.Add(item ?? throw new ArgumentException("An item is null."));
        }
    }

    private void AddRequestArgs(List<RedisValue> args, Request request)
    {
        // Serialized before anything is sent: a request whose meta cannot be stored fails the call, and nothing is written.
        var json = RequestJson.Serialize(request);
        args.Add(DedupKey(request));
        args.Add(request.Priority);
        args.Add(json);
    }

    private RedisValue DedupKey(Request request)
    {
        if (request.DontFilter)
        {
            return RedisValue.EmptyString;
        }

        if (_bloom is not null)
        {
            return _bloom.DedupKey(request.Fingerprint);
        }

        var key = new byte[1 + RequestFingerprint.Size];
        key[0] = (byte)'x';
        request.Fingerprint.WriteBytes(key.AsSpan(1));
        return key;
    }

    private static void AddLeaseArgs(List<RedisValue> args, IReadOnlyList<Lease> leases)
    {
        foreach (var lease in leases)
        {
            ArgumentNullException.ThrowIfNull(lease);
            args.Add(EntryKey(lease.EntryId));
            args.Add(lease.Token.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string EntryKey(long entryId) => entryId.ToString("D15", CultureInfo.InvariantCulture);

    // The four arguments every script starts with; the clock (ARGV[2]) is filled in at each attempt.
    private List<RedisValue> Args(bool worker, int extra)
    {
        var args = new List<RedisValue>(4 + extra) { _keys.Prefix, RedisValue.EmptyString, worker ? WorkerId : string.Empty, TakeAcks() };
        return args;
    }

    private string TakeAcks()
    {
        if (_acks.IsEmpty)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        for (var i = 0; i < MaxAcksPerCall && _acks.TryDequeue(out var op); i++)
        {
            builder.Append(op).Append(' ');
        }

        return builder.ToString();
    }

    private RedisValue NowArg() =>
        _clientClock ? _time.GetUtcNow().ToUnixTimeMilliseconds() : RedisValue.EmptyString;

    private async Task<RedisResult> EvalAsync(RedisScript script, List<RedisValue> args, CancellationToken cancellationToken)
    {
        var values = args.ToArray();
        return await _redis.RunAsync(script.Name, db =>
        {
            values[1] = NowArg();
            return script.EvaluateAsync(db, values);
        }, cancellationToken).ConfigureAwait(false);
    }

    private string NextOp() => string.Create(CultureInfo.InvariantCulture, $"{_opPrefix}-{Interlocked.Increment(ref _ops)}");

    private void OnEvent(RedisValue message)
    {
        var text = (string?)message;
        if (text is not null && text.StartsWith("pause ", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var state))
        {
            ObservePauseState(state);
        }

        Signal();
    }

    // The pause state is pause_epoch * 2 + paused (see pause.lua). States of an older epoch are stale: a lease reply read
    // before a pause can arrive after the pub/sub message announcing it.
    private void ObservePauseState(long state)
    {
        var current = Volatile.Read(ref _pauseState);
        while ((state >> 1) >= (current >> 1) && state != current)
        {
            var seen = Interlocked.CompareExchange(ref _pauseState, state, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string NewWorkerId() =>
        string.Create(CultureInfo.InvariantCulture, $"{HostPart()}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");

    // The host name, reduced to the characters a worker id may hold.
    private static string HostPart()
    {
        var host = new string(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(60).ToArray());
        return host.Length > 0 ? host : "worker";
    }
}
