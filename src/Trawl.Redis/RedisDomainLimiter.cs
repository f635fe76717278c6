using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Trawl.Politeness;

namespace Trawl.Redis;

/// <summary>
/// Global politeness: a per-domain request rate (token bucket) and concurrency limit (slots) held in Redis, so they apply
/// to the whole cluster rather than to each worker. As the crawl's <see cref="Engine.CrawlOptions.DomainGate"/>, every
/// request of every worker passes it just before it starts.
/// </summary>
/// <remarks>
/// <para>Each domain has a token bucket of <see cref="RedisDomainLimits.Burst"/> tokens refilled at
/// <see cref="RedisDomainLimits.RequestsPerSecond"/>, measured by the Redis server's clock, so over any window of <c>t</c>
/// seconds at most <c>Burst + rate·t</c> requests are granted, however many workers ask. With
/// <see cref="RedisDomainLimits.MaxConcurrency"/>, each grant also takes a slot that <see cref="ReleaseAsync"/> frees,
/// or that expires after <see cref="RedisDomainLimiterOptions.SlotTimeout"/> if its worker died.</para>
/// <para>The limits are the crawl's: recorded in its <c>config</c> hash by the first worker that sets them and read by
/// the script on every call, so all workers apply the same ones, and a change made there (<c>HSET</c> of
/// <c>global_rate</c>, <c>global_burst</c>, <c>global_concurrency</c>) applies at once.</para>
/// <para>One script call per try (the check, the refill and the take are atomic), and one more per release when there
/// is a concurrency limit.</para>
/// </remarks>
public sealed class RedisDomainLimiter : IDomainGate
{
    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly long _slotMs;
    private readonly string _client = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, ConcurrentStack<string>> _held = new(StringComparer.OrdinalIgnoreCase);
    private long _slots;

    private RedisDomainLimiter(RedisFrontier frontier, RedisDomainLimits limits, TimeSpan slotTimeout)
    {
        _redis = frontier.Connection;
        _keys = frontier.Keys;
        _slotMs = (long)slotTimeout.TotalMilliseconds;
        Limits = limits;
    }

    /// <summary>The crawl's limits as recorded when this limiter was created.</summary>
    public RedisDomainLimits Limits { get; }

    /// <summary>
    /// Records the limits of <paramref name="options"/> as the crawl's, unless it has some already, and returns a limiter
    /// for the frontier's crawl, sharing its connection and its retry policy.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The crawl has other limits recorded; the message says which.</exception>
    public static async Task<RedisDomainLimiter> CreateAsync(RedisFrontier frontier, RedisDomainLimiterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var wanted = new RedisDomainLimits(options.RequestsPerSecond, options.Burst ?? RedisDomainLimiterOptions.DefaultBurst(options.RequestsPerSecond), options.MaxConcurrency);
        var recorded = await LimitsAsync(frontier, wanted, cancellationToken).ConfigureAwait(false) ?? wanted;
        if (recorded != wanted)
        {
            throw new InvalidOperationException(
                $"Crawl '{frontier.Keys.SpiderName}' already has its global limits: {recorded}, not {wanted}. Give the same limits, or none to adopt them; to change them, set global_rate, global_burst and global_concurrency in {frontier.Keys.Config}.");
        }

        return new RedisDomainLimiter(frontier, recorded, options.SlotTimeout);
    }

    /// <summary>
    /// Returns a limiter for the limits the frontier's crawl has recorded, or <see langword="null"/> when it has none: for a
    /// worker that was given no limits of its own.
    /// </summary>
    /// <param name="frontier">The crawl.</param>
    /// <param name="slotTimeout">This worker's <see cref="RedisDomainLimiterOptions.SlotTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for Redis.</param>
    public static async Task<RedisDomainLimiter?> OpenAsync(RedisFrontier frontier, TimeSpan slotTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        new RedisDomainLimiterOptions { SlotTimeout = slotTimeout }.Validate();
        return await LimitsAsync(frontier, record: null, cancellationToken).ConfigureAwait(false) is { } recorded
            ? new RedisDomainLimiter(frontier, recorded, slotTimeout)
            : null;
    }

    /// <summary>
    /// Asks to send one request to <paramref name="domain"/>. When acquired, call <see cref="ReleaseAsync"/> once the
    /// request ends (it does nothing unless a concurrency slot was taken).
    /// </summary>
    public async ValueTask<DomainPermit> TryAcquireAsync(string domain, CancellationToken cancellationToken)
    {
        var key = DomainKey(domain);
        var member = string.Create(CultureInfo.InvariantCulture, $"{_client}:{Interlocked.Increment(ref _slots)}");
        var args = new RedisValue[] { _keys.Domain(key), _keys.Config, RedisValue.EmptyString, "acquire", member, _slotMs };
        var reply = (long[])(await _redis.RunAsync("limit", db => RedisScripts.Limiter.EvaluateAsync(db, args), cancellationToken).ConfigureAwait(false))!;
        if (reply[0] == 1)
        {
            if (reply[2] == 1)
            {
                _held.GetOrAdd(key, _ => new ConcurrentStack<string>()).Push(member);
            }

            return new DomainPermit(true, TimeSpan.Zero);
        }

        return new DomainPermit(false, TimeSpan.FromMilliseconds(reply[1]));
    }

    /// <summary>Frees one concurrency slot this limiter acquired for <paramref name="domain"/>. Does nothing if it holds none.</summary>
    public async ValueTask ReleaseAsync(string domain, CancellationToken cancellationToken)
    {
        var key = DomainKey(domain);
        if (!_held.TryGetValue(key, out var stack) || !stack.TryPop(out var member))
        {
            return;
        }

        var args = new RedisValue[] { _keys.Domain(key), _keys.Config, RedisValue.EmptyString, "release", member };
        await _redis.RunAsync("limit", db => RedisScripts.Limiter.EvaluateAsync(db, args), cancellationToken).ConfigureAwait(false);
    }

    // Records the limits unless the crawl has some (record null: only reads), and returns the recorded ones as the
    // script applies them (a value damaged by hand reads as no limit).
    private static async Task<RedisDomainLimits?> LimitsAsync(RedisFrontier frontier, RedisDomainLimits? record, CancellationToken cancellationToken)
    {
        var args = new RedisValue[]
        {
            RedisValue.EmptyString, frontier.Keys.Config, RedisValue.EmptyString, "limits",
            record is null ? RedisValue.EmptyString : record.RequestsPerSecond.ToString("R", CultureInfo.InvariantCulture),
            record?.Burst ?? 0, record?.MaxConcurrency ?? 0,
        };
        var reply = (RedisResult[])(await frontier.Connection.RunAsync("limits", db => RedisScripts.Limiter.EvaluateAsync(db, args), cancellationToken).ConfigureAwait(false))!;
        if (reply.Length == 0)
        {
            return null;
        }

        return new RedisDomainLimits(
            double.Parse((string)reply[0]!, NumberStyles.Float, CultureInfo.InvariantCulture),
            int.Parse((string)reply[1]!, NumberStyles.Integer, CultureInfo.InvariantCulture),
            int.Parse((string)reply[2]!, NumberStyles.Integer, CultureInfo.InvariantCulture));
    }

    private static string DomainKey(string domain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        return domain.Trim().ToLowerInvariant();
    }
}

/// <summary>The per-domain limits a crawl records in Redis, which every <see cref="RedisDomainLimiter"/> of its workers applies.</summary>
/// <param name="RequestsPerSecond">Requests per second to one domain; 0 for no rate limit.</param>
/// <param name="Burst">The token bucket's size: requests that may go at once after a quiet spell.</param>
/// <param name="MaxConcurrency">Requests in flight to one domain; 0 for no limit.</param>
public sealed record RedisDomainLimits(double RequestsPerSecond, int Burst, int MaxConcurrency)
{
    /// <summary>The limits in words, for messages, such as <c>20 requests/s per domain (burst 1), no concurrency limit</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(RequestsPerSecond > 0 ? $"{RequestsPerSecond:0.###} requests/s per domain (burst {Burst})" : "no rate limit")}, {(MaxConcurrency > 0 ? $"at most {MaxConcurrency} in flight per domain" : "no concurrency limit")}");
}
