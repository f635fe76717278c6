using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// A worker's frontier of a crawl shared through Redis: pending queue, dedup, leases, retries and the item log, all under
/// <c>trawl:{spider}:</c> (<see cref="RedisKeys"/>). Every worker started with the same spider name and Redis database
/// joins the same crawl. Acting on the crawl from outside (seeding, pausing, status, export) is
/// <see cref="RedisCrawlAdmin"/>'s.
/// </summary>
/// <remarks>
/// <para><b>Leases, not pops.</b> <see cref="TryLeaseAsync(int, CancellationToken)"/> moves requests atomically into a lease set with a deadline
/// and a token. A worker renews its leases with <see cref="RenewAsync"/>. When a worker dies or stalls, its leases
/// expire and their requests go back to pending for the others; a late completion of an expired lease is rejected, so
/// its items are committed once.</para>
/// <para><b>Liveness.</b> Once it has registered (its first lease, wait or renewal), a worker beats every
/// <see cref="RedisFrontierOptions.LivenessInterval"/> on a timer of its own. When a worker's beat has lapsed for
/// <see cref="RedisFrontierOptions.LivenessTimeout"/>, the next lease or wait of any other worker takes back all its
/// leases at once, in the same script, so a killed worker's requests come back in seconds rather than after
/// <see cref="RedisFrontierOptions.LeaseDuration"/>, while a slow but live worker keeps its leases.</para>
/// <para><b>One script per batch.</b> <see cref="CompleteAsync(IReadOnlyList{Completion}, CancellationToken)"/> applies a whole batch in one Lua script: outcomes,
/// discovered requests (deduplicated), and items appended to the item stream with increasing sequences. A request's
/// attempts count only completed attempts (done, retry, failed); a released or expired lease does not count. A
/// <see cref="Request.DontFilter"/> request is always scheduled and does not mark its fingerprint as seen.</para>
/// <para><b>Outages.</b> Every operation retries with capped exponential backoff while Redis is unreachable
/// (<see cref="RedisCrawlOptions.MaxOutage"/>); batches are memoized, so one whose reply was lost is not applied
/// twice.</para>
/// <para><b>Damage.</b> The scripts check every value they compute with before they write anything. An entry that is
/// malformed (by hand, or by a bug) is set aside in the <c>corrupt</c> list with its raw values, and the worker goes
/// on with the others; a crawl whose identity (its config and epoch) is gone fails every call with
/// <see cref="RedisCrawlLostException"/>, never looks finished.</para>
/// <para><b>Seeds.</b> URLs or JSON requests pushed to <c>trawl:{spider}:start_urls</c> are claimed and scheduled
/// (deduplicated) by workers as they lease and wait. Request fingerprints need the URL canonicalizer, which lives in
/// .NET, so a worker claims a batch of messages (a claim that lapses if it dies), parses them, and schedules them and
/// drops the claim in one script.</para>
/// <para><b>Waiting.</b> <see cref="WaitToLeaseAsync(CancellationToken)"/> is woken by Redis pub/sub when any worker adds, completes or
/// releases work, and otherwise looks again after a backoff that doubles up to
/// <see cref="RedisCrawlOptions.IdlePollInterval"/>, or when the next retry falls due or lease expires. A worker
/// that should linger once the crawl is finished, in case new seeds come, waits with
/// <see cref="WaitToLeaseAsync(TimeSpan, CancellationToken)"/>, which sleeps on the same signal.</para>
/// </remarks>
public sealed class RedisFrontier : IFrontier, IItemLog, IExpiringLeases, IPausableFrontier
{
    private const int AddChunk = 1000;

    private readonly CrawlScripts _scripts;
    private readonly CrawlEvents _events;
    private readonly CrawlItemLog _items;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _leaseMs;
    private readonly TimeSpan _idlePoll;
    private readonly int _seedBatch;
    private readonly bool _reclaimOwnLeases;
    private readonly RedisDedup _configuredDedup;
    private readonly RedisBloomFilter _configuredBloom;
    private readonly string _itemShare;
    private readonly TimeSpan _livenessInterval;
    private readonly long _livenessMs;
    private readonly string _info;
    private readonly CancellationTokenSource _stopBeating = new();
    private RedisBloomFilter? _bloom;
    private Task? _beating;
    private int _seedsWaiting = 1;
    private int _registered;
    private int _disposed;

    private RedisFrontier(RedisConnection redis, RedisFrontierOptions options, ILogger logger)
    {
        _scripts = new CrawlScripts(redis, options);
        _events = new CrawlEvents(_scripts);
        _itemShare = options.ItemShare ?? string.Empty;
        _livenessInterval = options.LivenessInterval;
        _livenessMs = options.LivenessTimeout == Timeout.InfiniteTimeSpan ? 0 : (long)Math.Ceiling(options.LivenessTimeout.TotalMilliseconds);
        // A share's checkpoints are its own: two workers may well write files of the same name on different machines.
        _items = new CrawlItemLog(_scripts, _itemShare, _itemShare.Length == 0 ? string.Empty : _itemShare + "|", logger);
        _time = options.TimeProvider;
        _logger = logger;
        _leaseMs = (long)Math.Ceiling(options.LeaseDuration.TotalMilliseconds);
        _idlePoll = options.IdlePollInterval;
        _seedBatch = options.SeedBatchSize;
        _reclaimOwnLeases = options.WorkerId is not null;
        _configuredDedup = options.Dedup;
        _configuredBloom = RedisBloomFilter.For(options.BloomExpectedItems, options.BloomFalsePositiveRate);
        WorkerId = options.WorkerId ?? NewWorkerId();
        _info = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["started"] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        });
        LeaseDuration = options.LeaseDuration;
    }

    /// <summary>The crawl's key names.</summary>
    public RedisKeys Keys => _scripts.Keys;

    /// <summary>This worker's id in lease records, heartbeats and status.</summary>
    public string WorkerId { get; }

    /// <summary>How long a lease lasts unless renewed. Renew well within it (for example every third of it).</summary>
    public TimeSpan LeaseDuration { get; }

    /// <summary>The dedup mode in force: the one the crawl recorded when its first worker started.</summary>
    public RedisDedup Dedup => _bloom is null ? RedisDedup.Exact : RedisDedup.Bloom;

    /// <summary>The Redis server, as a URL without its password.</summary>
    public string Endpoint => _scripts.Connection.Endpoint;

    /// <summary>
    /// Whether the cluster is paused (<see cref="RedisCrawlAdmin.PauseAsync"/>), as this frontier last heard: from pub/sub
    /// when anyone pauses or resumes, and from every lease and wait. Reads nothing from Redis; see
    /// <see cref="RedisCrawlAdmin.IsPausedAsync"/> for that.
    /// </summary>
    public bool IsPaused => _events.IsPaused;

    internal RedisConnection Connection => _scripts.Connection;

    internal RedisBloomFilter? BloomFilter => _bloom;

    /// <summary>
    /// Connects to Redis and opens the crawl named <see cref="RedisCrawlOptions.SpiderName"/>. Returns even when
    /// Redis is down at first: the connection keeps trying, and operations wait for it (see
    /// <see cref="RedisCrawlOptions.MaxOutage"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The crawl's recorded config is damaged.</exception>
    public static async Task<RedisFrontier> ConnectAsync(RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.CreateLogger();
        var connection = await RedisConnection.OpenAsync(options, $"trawl-{options.SpiderName}", logger).ConfigureAwait(false);
        try
        {
            return await OpenAsync(connection, options, logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the crawl on an existing connection, which the frontier does not dispose. The database and password are
    /// taken from <see cref="RedisCrawlOptions.Url"/> (the password only to keep it out of logs).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The crawl's recorded config is damaged.</exception>
    public static Task<RedisFrontier> CreateAsync(IConnectionMultiplexer multiplexer, RedisFrontierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.CreateLogger();
        return OpenAsync(new RedisConnection(multiplexer, ownsMultiplexer: false, RedisUrl.Parse(options.Url), options, logger), options, logger, cancellationToken);
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
        var added = await AddRequestsAsync(_scripts, requests, _bloom, cancellationToken).ConfigureAwait(false);
        if (added > 0)
        {
            _events.Signal();
        }

        return added;
    }

    /// <inheritdoc />
    /// <remarks>
    /// If Redis's reply is lost (a restart or network blip), the call is sent again and returns the leases the first
    /// attempt granted, rather than leasing more and leaving those stranded until they expire. An entry found damaged is
    /// set aside (the <c>corrupt</c> list) instead of leased.
    /// </remarks>
    public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) =>
        TryLeaseAsync(max, _scripts.NextOp(), acknowledge: true, cancellationToken);

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

        var args = _scripts.Args(WorkerId).Add(max).Add(_leaseMs).Add(op);
        var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Lease, args, cancellationToken).ConfigureAwait(false))!;
        _events.ObservePauseState((long)reply[0]!);
        Volatile.Write(ref _seedsWaiting, (long)reply[1]! > 0 ? 1 : 0);
        ReportSetAside((long)reply[4]!);
        var count = (int)(long)reply[3]!;
        if (count == 0)
        {
            return [];
        }

        if (acknowledge)
        {
            _scripts.Acknowledge(op);
        }

        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)reply[2]!);
        var leases = new List<Lease>(count);
        List<(string Id, string Token, string Reason)>? damaged = null;
        for (var i = 0; i < count; i++)
        {
            var at = 5 + (i * 4);
            var id = (string)reply[at]!;
            var token = (string)reply[at + 1]!;
            try
            {
                var request = RequestJson.Deserialize((byte[])reply[at + 3]!);
                leases.Add(new Lease(long.Parse(id, CultureInfo.InvariantCulture), long.Parse(token, CultureInfo.InvariantCulture), request, (int)(long)reply[at + 2]! + 1, expiresAt));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
            {
                Log.CorruptRequest(_logger, id, ex.Message);
                (damaged ??= []).Add((id, token, ex.Message));
            }
        }

        if (damaged is not null)
        {
            await SetAsideAsync(damaged, cancellationToken).ConfigureAwait(false);
        }

        return leases;
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see langword="false"/> only when the whole crawl is finished: nothing pending, delayed, leased (by any worker)
    /// or waiting in <c>start_urls</c>, and the cluster is not paused. While the cluster is paused it waits.
    /// </remarks>
    /// <exception cref="RedisCrawlLostException">The crawl's config and epoch are gone: its work is lost, not finished.</exception>
    public async ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        var poll = CrawlEvents.FirstPoll;
        while (true)
        {
            // Take the signal before looking, so a change announced after the look cannot be missed.
            var changed = _events.Changed;
            if (Volatile.Read(ref _seedsWaiting) == 1)
            {
                await DrainStartUrlsAsync(cancellationToken).ConfigureAwait(false);
            }

            var lookedAt = _time.GetUtcNow();
            var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Wait, _scripts.Args(WorkerId), cancellationToken).ConfigureAwait(false))!;
            _events.ObservePauseState((long)reply[2]!);
            var seeds = (long)reply[4]!;
            Volatile.Write(ref _seedsWaiting, seeds > 0 ? 1 : 0);
            ReportSetAside((long)reply[5]!);
            if ((long)reply[0]! == 1)
            {
                return true;
            }

            if ((long)reply[1]! == 1)
            {
                return false;
            }

            if (seeds > 0 && (long)reply[2]! % 2 == 0)
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

            poll = CrawlEvents.NextPoll(poll, _idlePoll);
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
    /// <see cref="RedisCrawlOptions.IdlePollInterval"/> for what pub/sub misses (URLs pushed to <c>start_urls</c>
    /// with <c>redis-cli</c>, messages lost while reconnecting).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="linger"/> is negative (other than infinite).</exception>
    /// <exception cref="RedisCrawlLostException">The crawl's config and epoch are gone: its work is lost, not finished.</exception>
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
            var changed = _events.Changed;
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
        CompleteAsync(completions, _scripts.NextOp(), acknowledge: true, cancellationToken);

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

        var args = _scripts.Args(WorkerId).Add(op).Add(completions.Count);
        var now = _time.GetUtcNow();
        foreach (var completion in completions)
        {
            args.AddCompletion(completion ?? throw new ArgumentException("A completion is null.", nameof(completions)), now, _bloom);
        }

        args.Add(_itemShare);
        var reply = ((string)(await _scripts.EvalAsync(RedisScripts.Complete, args, cancellationToken).ConfigureAwait(false))!).Split(' ');
        if (acknowledge)
        {
            _scripts.Acknowledge(op);
        }

        var flags = reply[0];
        var sequence = long.Parse(reply[1], CultureInfo.InvariantCulture);
        var added = int.Parse(reply[2], CultureInfo.InvariantCulture);
        ReportSetAside(long.Parse(reply[3], CultureInfo.InvariantCulture));
        var accepted = new bool[completions.Count];
        var items = new List<CommittedItem>();
        for (var i = 0; i < completions.Count; i++)
        {
            accepted[i] = flags[i] == '1';
            if (accepted[i] && completions[i].Status is CompletionStatus.Done or CompletionStatus.Failed)
            {
                foreach (var item in completions[i].Items)
                {
                    items.Add(new CommittedItem(sequence++, item));
                }
            }
        }

        _events.Signal();
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

        var args = _scripts.Args();
        foreach (var lease in leases)
        {
            args.AddLease(lease);
        }

        await _scripts.EvalAsync(RedisScripts.Release, args, cancellationToken).ConfigureAwait(false);
        _events.Signal();
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
        var args = _scripts.Args(WorkerId).Add(_leaseMs);
        foreach (var lease in leases)
        {
            args.AddLease(lease);
        }

        var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Renew, args, cancellationToken).ConfigureAwait(false))!;
        var renewed = (int)(long)reply[0]!;
        if (renewed < leases.Count)
        {
            Log.LeasesLost(_logger, leases.Count - renewed, leases.Count);
        }

        return renewed;
    }

    /// <inheritdoc />
    /// <remarks>Pending counts requests due now and retries waiting for their time; seeds still in <c>start_urls</c>
    /// are not counted (see <see cref="RedisCrawlAdmin.GetStatusAsync"/>).</remarks>
    public async ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken)
    {
        var reply = (long[])(await _scripts.EvalAsync(RedisScripts.Counts, _scripts.Args(), cancellationToken).ConfigureAwait(false))!;
        return new FrontierCounts(reply[0] + reply[1], reply[2], reply[3], reply[4], reply[5]);
    }

    /// <inheritdoc />
    /// <remarks>With <see cref="RedisFrontierOptions.ItemShare"/> set, reads only the items this share committed (the
    /// items are the whole crawl's otherwise), and its export checkpoints are the share's own.</remarks>
    public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) =>
        _items.ReadItemsAsync(afterSequence, max, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) =>
        _items.GetExportCheckpointAsync(output, cancellationToken);

    /// <inheritdoc />
    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) =>
        _items.SetExportCheckpointAsync(output, checkpoint, cancellationToken);

    /// <summary>
    /// Leaves the crawl: stops its liveness beat, stops listening for changes and, if this worker leased or waited,
    /// removes it from the live workers. Leases still held are not released (call <see cref="ReleaseAsync"/> first to
    /// hand them over at once); they come back to the others when they expire.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopBeatingAsync().ConfigureAwait(false);
        _stopBeating.Dispose();
        await _events.UnsubscribeAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _registered) == 1)
        {
            // Not checked against the epoch: a worker leaves a crawl that is gone as well.
            var args = _scripts.UncheckedArgs(WorkerId).ToArray(_scripts.Now());
            await _scripts.Connection.TryOnceAsync(db => RedisScripts.Leave.EvaluateAsync(db, args), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        await _scripts.Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Schedules requests, deduplicated, in memoized chunks; returns how many were new. Shared with the admin's seeding.</summary>
    internal static async ValueTask<int> AddRequestsAsync(CrawlScripts scripts, IReadOnlyList<Request> requests, RedisBloomFilter? bloom, CancellationToken cancellationToken)
    {
        var added = 0;
        for (var start = 0; start < requests.Count; start += AddChunk)
        {
            var op = scripts.NextOp();
            var args = scripts.Args().Add(op);
            for (var i = start; i < Math.Min(requests.Count, start + AddChunk); i++)
            {
                args.AddRequest(requests[i] ?? throw new ArgumentException("A request is null.", nameof(requests)), bloom);
            }

            added += (int)(long)await scripts.EvalAsync(RedisScripts.Add, args, cancellationToken).ConfigureAwait(false);
            scripts.Acknowledge(op);
        }

        return added;
    }

    /// <summary>
    /// Claims a batch of <c>start_urls</c> messages, parses each as a URL or a JSON request, and schedules them
    /// (deduplicated) while dropping the claim, in one script. Returns how many requests were new.
    /// </summary>
    internal async ValueTask<int> DrainStartUrlsAsync(CancellationToken cancellationToken)
    {
        var claim = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.SeedClaim, _scripts.Args().Add(_seedBatch).Add(_leaseMs), cancellationToken).ConfigureAwait(false))!;
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
            if (SeedMessage.TryParse(message, out var request, out var reason))
            {
                requests.Add(request);
            }
            else
            {
                invalid.Add((message, reason));
            }
        }

        var add = _scripts.Args().Add(claimId).Add(invalid.Count);
        foreach (var (message, reason) in invalid)
        {
            add.Add(message).Add(reason);
        }

        foreach (var request in requests)
        {
            add.AddRequest(request, _bloom);
        }

        var added = (long)await _scripts.EvalAsync(RedisScripts.SeedAdd, add, cancellationToken).ConfigureAwait(false);
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
            _events.Signal();
        }

        return (int)added;
    }

    private static async Task<RedisFrontier> OpenAsync(RedisConnection connection, RedisFrontierOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var frontier = new RedisFrontier(connection, options, logger);
        await frontier.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return frontier;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var config = await _scripts.OpenConfigAsync(_configuredDedup, _configuredBloom, cancellationToken).ConfigureAwait(false);
        _bloom = config.Bloom;
        if (Dedup != _configuredDedup || (_bloom is not null && (_bloom.Bits != _configuredBloom.Bits || _bloom.Hashes != _configuredBloom.Hashes)))
        {
            Log.DedupAdopted(_logger, Keys.SpiderName, DescribeDedup(), _configuredDedup == RedisDedup.Bloom ? "bloom" : "exact");
        }

        await _events.SubscribeAsync(cancellationToken).ConfigureAwait(false);
        if (_reclaimOwnLeases)
        {
            var reclaimed = (long)await _scripts.EvalAsync(RedisScripts.ReclaimWorker, _scripts.Args(WorkerId), cancellationToken).ConfigureAwait(false);
            if (reclaimed > 0)
            {
                Log.LeasesReclaimed(_logger, WorkerId, reclaimed);
            }
        }

        Log.Connected(_logger, Keys.SpiderName, _scripts.Connection.Endpoint, WorkerId, DescribeDedup());
    }

    private string DescribeDedup() => _bloom is null ? "exact" : $"bloom m={_bloom.Bits} k={_bloom.Hashes}";

    /// <summary>
    /// Stops the liveness beat and waits for it to end, without leaving the crawl: to the others, this worker has died.
    /// For <see cref="DisposeAsync"/>, and for tests that play a killed worker.
    /// </summary>
    internal async Task StopBeatingAsync()
    {
        await _stopBeating.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _beating) is { } beating)
        {
            await beating.ConfigureAwait(false);
        }
    }

    private async ValueTask EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _registered) == 1)
        {
            return;
        }

        await BeatAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _registered, 1) == 0 && _livenessMs > 0)
        {
            Volatile.Write(ref _beating, BeatLoopAsync(_stopBeating.Token));
        }
    }

    // Registers this worker and renews its liveness deadline; false when it had been taken for dead (reap_dead in
    // common.lua) since its previous beat.
    private async Task<bool> BeatAsync(CancellationToken cancellationToken)
    {
        var args = _scripts.Args(WorkerId).Add(_info).Add(_livenessMs);
        return (long)await _scripts.EvalAsync(RedisScripts.Register, args, cancellationToken).ConfigureAwait(false) == 1;
    }

    // The liveness beat: a timer of its own, so that nothing the engine waits for (slow downloads, callbacks, commits)
    // holds it back. Redis being unreachable is retried inside BeatAsync; anything else is logged and the beat goes on,
    // since the worker's own calls meet the same trouble and report it.
    private async Task BeatLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_livenessInterval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (!await BeatAsync(cancellationToken).ConfigureAwait(false))
                    {
                        Log.TakenForDead(_logger, WorkerId, TimeSpan.FromMilliseconds(_livenessMs));
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BeatFailed(_logger, WorkerId, _scripts.Connection.Sanitize(ex.Message));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the worker is leaving.
        }
    }

    // Entries leased whose request does not parse: set aside with the reason, as the scripts set aside what they find damaged.
    private async ValueTask SetAsideAsync(List<(string Id, string Token, string Reason)> damaged, CancellationToken cancellationToken)
    {
        var args = _scripts.Args(WorkerId);
        foreach (var (id, token, reason) in damaged)
        {
            args.Add(id).Add(token).Add(reason);
        }

        ReportSetAside((long)await _scripts.EvalAsync(RedisScripts.SetAside, args, cancellationToken).ConfigureAwait(false));
    }

    private void ReportSetAside(long count)
    {
        if (count > 0)
        {
            Log.EntriesSetAside(_logger, count, Keys.Corrupt);
        }
    }

    private static string NewWorkerId() =>
        string.Create(CultureInfo.InvariantCulture, $"{HostPart()}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");

    // The host name, reduced to the characters a worker id may hold.
    private static string HostPart()
    {
        var host = new string(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(60).ToArray());
        return host.Length > 0 ? host : "worker";
    }
}
