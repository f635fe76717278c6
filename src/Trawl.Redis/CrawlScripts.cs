using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>
/// Runs one crawl's scripts for one caller (a worker's frontier, or an admin): builds each call's header, sends the
/// clock, acknowledges memoized operations, carries the crawl's epoch, and turns the scripts' refusals into exceptions
/// that say what happened.
/// </summary>
internal sealed class CrawlScripts
{
    private const int MaxAcksPerCall = 64;
    private const string CrawlLost = "TRAWL_CRAWL_LOST";
    private const string ConfigDamaged = "TRAWL_CONFIG_DAMAGED";
    private readonly bool _clientClock;
    private readonly TimeProvider _time;
    private readonly string _opPrefix = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentQueue<string> _acks = new();
    private long _ops;
    private string _epoch = string.Empty;

    public CrawlScripts(RedisConnection connection, RedisCrawlOptions options)
    {
        Connection = connection;
        Keys = new RedisKeys(options.SpiderName);
        _clientClock = options.Clock == RedisClock.Client;
        _time = options.TimeProvider;
    }

    public RedisConnection Connection { get; }

    public RedisKeys Keys { get; }

    /// <summary>
    /// The crawl's epoch as this caller knows it, sent with every call (see <c>common.lua</c>): once set, a call to a
    /// crawl whose config is gone or was made anew fails with <see cref="RedisCrawlLostException"/> before it writes
    /// anything. Empty until known, and then nothing is checked.
    /// </summary>
    public string Epoch
    {
        get => Volatile.Read(ref _epoch);
        set => Volatile.Write(ref _epoch, value);
    }

    /// <summary>A call's arguments, starting with the header: as <paramref name="worker"/> (or no worker when empty).</summary>
    public ScriptArgs Args(string worker = "") => new(Keys.Prefix, worker, TakeAcks(), Epoch);

    /// <summary>A call's arguments whose epoch is not checked: for leaving a crawl, which must work when it is gone.</summary>
    public ScriptArgs UncheckedArgs(string worker = "") => new(Keys.Prefix, worker, string.Empty, string.Empty);

    /// <summary>A new operation id, for a call the script memoizes.</summary>
    public string NextOp() => string.Create(CultureInfo.InvariantCulture, $"{_opPrefix}-{Interlocked.Increment(ref _ops)}");

    /// <summary>Lets the next call tell Redis to forget the memoized result of <paramref name="op"/>: the caller has it.</summary>
    public void Acknowledge(string op) => _acks.Enqueue(op);

    /// <summary>The clock argument: the client's time, or empty for the server's.</summary>
    public RedisValue Now() => _clientClock ? _time.GetUtcNow().ToUnixTimeMilliseconds() : RedisValue.EmptyString;

    /// <summary>Runs <paramref name="script"/>, retrying while Redis is unreachable.</summary>
    /// <exception cref="RedisCrawlLostException">The crawl's config and epoch are gone, or belong to a crawl made anew.</exception>
    /// <exception cref="InvalidOperationException">The crawl's recorded config is damaged.</exception>
    /// <exception cref="RedisUnavailableException">Redis stayed unreachable past the outage limit.</exception>
    public async Task<RedisResult> EvalAsync(RedisScript script, ScriptArgs args, CancellationToken cancellationToken)
    {
        try
        {
            return await Connection.RunAsync(script.Name, db => script.EvaluateAsync(db, args.ToArray(Now())), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith(CrawlLost, StringComparison.Ordinal))
        {
            throw RedisCrawlLostException.For(Keys.SpiderName, Connection.Endpoint, replaced: ex.Message.EndsWith("replaced", StringComparison.Ordinal));
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith(ConfigDamaged, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Crawl '{Keys.SpiderName}' on {Connection.Endpoint} has a damaged config ({Connection.Sanitize(ex.Message[ConfigDamaged.Length..].Trim())}): mend or delete {Keys.Config}.");
        }
    }

    /// <summary>
    /// Records the crawl's config unless it has one (the dedup mode, the Bloom filter's size and a new epoch), adopts
    /// the recorded one, and from then on checks the epoch on every call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The recorded config is damaged.</exception>
    public async Task<CrawlConfig> OpenConfigAsync(RedisDedup dedup, RedisBloomFilter bloom, CancellationToken cancellationToken)
    {
        var args = UncheckedArgs()
            .Add(dedup == RedisDedup.Bloom ? "bloom" : "exact")
            .Add(bloom.Bits)
            .Add(bloom.Hashes)
            .Add(Guid.NewGuid().ToString("N"));
        var reply = (RedisResult[])(await EvalAsync(RedisScripts.Config, args, cancellationToken).ConfigureAwait(false))!;
        var config = CrawlConfig.From(Keys, reply);
        Epoch = config.Epoch;
        return config;
    }

    /// <summary>Reads the crawl's epoch, if it has a config, and from then on checks it on every call.</summary>
    public async Task ReadEpochAsync(CancellationToken cancellationToken)
    {
        var epoch = await Connection.RunAsync("epoch", db => db.HashGetAsync(Keys.Config, "epoch"), cancellationToken).ConfigureAwait(false);
        Epoch = epoch.IsNullOrEmpty ? string.Empty : (string)epoch!;
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
}

/// <summary>A crawl's recorded config, as <c>config.lua</c> returns it (and has checked it).</summary>
/// <param name="Bloom">The Bloom filter in force, or <see langword="null"/> for exact dedup.</param>
/// <param name="Epoch">The crawl's epoch: a random id recorded when the crawl began.</param>
internal sealed record CrawlConfig(RedisBloomFilter? Bloom, string Epoch)
{
    /// <summary>Reads <c>{mode, bits, hashes, created, epoch}</c>; the script has checked that the numbers are integers.</summary>
    /// <exception cref="InvalidOperationException">The Bloom filter's recorded size is out of range.</exception>
    public static CrawlConfig From(RedisKeys keys, RedisResult[] reply)
    {
        var epoch = (string)reply[4]!;
        if (!string.Equals((string?)reply[0], "bloom", StringComparison.Ordinal))
        {
            return new CrawlConfig(null, epoch);
        }

        var bits = long.Parse((string)reply[1]!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var hashes = long.Parse((string)reply[2]!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (bits is < 64 or > RedisBloomFilter.MaxBits || hashes is < 1 or > RedisBloomFilter.MaxHashes)
        {
            throw new InvalidOperationException(
                $"Crawl '{keys.SpiderName}' has a damaged config (a Bloom filter of {bits} bits and {hashes} hashes is out of range): mend or delete {keys.Config}.");
        }

        return new CrawlConfig(new RedisBloomFilter(bits, (int)hashes), epoch);
    }
}
