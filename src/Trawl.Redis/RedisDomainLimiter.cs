using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>The answer of <see cref="RedisDomainLimiter.TryAcquireAsync"/>.</summary>
/// <param name="Acquired">Whether the request may go now. If so, call <see cref="RedisDomainLimiter.ReleaseAsync"/> when it ends.</param>
/// <param name="RetryAfter">When not acquired: how long until a try may succeed.</param>
public readonly record struct DomainPermit(bool Acquired, TimeSpan RetryAfter);

/// <summary>
/// Global politeness: a per-host request rate (token bucket) and concurrency limit (slots) held in Redis, so they apply
/// to the whole cluster rather than to each worker.
/// </summary>
/// <remarks>
/// <para>Each host has a token bucket of <see cref="RedisDomainLimiterOptions.Burst"/> tokens refilled at
/// <see cref="RedisDomainLimiterOptions.RequestsPerSecond"/>, measured by the Redis server's clock, so over any window
/// of <c>t</c> seconds at most <c>Burst + rate·t</c> requests are granted, however many workers ask. With
/// <see cref="RedisDomainLimiterOptions.MaxConcurrency"/>, each grant also takes a slot that
/// <see cref="ReleaseAsync"/> frees, or that expires after <see cref="RedisDomainLimiterOptions.SlotTimeout"/> if its
/// worker died.</para>
/// <para>One script call per try: the check, the refill and the take are atomic.</para>
/// </remarks>
public sealed class RedisDomainLimiter
{
    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly RedisDomainLimiterOptions _options;
    private readonly string _client = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, ConcurrentStack<string>> _held = new(StringComparer.OrdinalIgnoreCase);
    private long _slots;

    private RedisDomainLimiter(RedisConnection redis, RedisKeys keys, RedisDomainLimiterOptions options)
    {
        _redis = redis;
        _keys = keys;
        _options = options;
    }

    /// <summary>Creates a limiter for the frontier's crawl, sharing its connection and its retry policy.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static RedisDomainLimiter Create(RedisFrontier frontier, RedisDomainLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new RedisDomainLimiter(frontier.Connection, frontier.Keys, Copy(options));
    }

    /// <summary>
    /// Asks to send one request to <paramref name="host"/>. When acquired (and <see cref="RedisDomainLimiterOptions.MaxConcurrency"/>
    /// is set), call <see cref="ReleaseAsync"/> once the request ends.
    /// </summary>
    public async ValueTask<DomainPermit> TryAcquireAsync(string host, CancellationToken cancellationToken)
    {
        var key = HostKey(host);
        var member = string.Create(CultureInfo.InvariantCulture, $"{_client}:{Interlocked.Increment(ref _slots)}");
        var args = new RedisValue[]
        {
            _keys.Domain(key), RedisValue.EmptyString, "acquire", member,
            _options.RequestsPerSecond, _options.Burst, _options.MaxConcurrency, (long)_options.SlotTimeout.TotalMilliseconds,
        };
        var reply = (long[])(await _redis.RunAsync("limit", db => RedisScripts.Limiter.EvaluateAsync(db, args), cancellationToken).ConfigureAwait(false))!;
        if (reply[0] == 1)
        {
            if (_options.MaxConcurrency > 0)
            {
                _held.GetOrAdd(key, _ => new ConcurrentStack<string>()).Push(member);
            }

            return new DomainPermit(true, TimeSpan.Zero);
        }

        return new DomainPermit(false, TimeSpan.FromMilliseconds(reply[1]));
    }

    /// <summary>Frees one concurrency slot this limiter acquired for <paramref name="host"/>. Does nothing if it holds none.</summary>
    public async ValueTask ReleaseAsync(string host, CancellationToken cancellationToken)
    {
        var key = HostKey(host);
        if (!_held.TryGetValue(key, out var stack) || !stack.TryPop(out var member))
        {
            return;
        }

        var args = new RedisValue[] { _keys.Domain(key), RedisValue.EmptyString, "release", member, 0, 0, 0, 0 };
        await _redis.RunAsync("limit", db => RedisScripts.Limiter.EvaluateAsync(db, args), cancellationToken).ConfigureAwait(false);
    }

    private static string HostKey(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return host.Trim().ToLowerInvariant();
    }

    private static RedisDomainLimiterOptions Copy(RedisDomainLimiterOptions options) => new()
    {
        RequestsPerSecond = options.RequestsPerSecond,
        Burst = options.Burst,
        MaxConcurrency = options.MaxConcurrency,
        SlotTimeout = options.SlotTimeout,
    };
}
