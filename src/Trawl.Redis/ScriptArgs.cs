using System.Globalization;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// The arguments of one crawl script, encoded as the scripts read them: the header every script starts with
/// (<c>common.lua</c>), then the script's own values. The one home of that wire format on the .NET side.
/// </summary>
/// <remarks>
/// <para>Header: <c>ARGV[1]</c> the key prefix, <c>ARGV[2]</c> the client's clock (filled in at each attempt by
/// <see cref="ToArray"/>), <c>ARGV[3]</c> the calling worker's id, <c>ARGV[4]</c> the memoized operations to forget,
/// <c>ARGV[5]</c> the crawl's epoch (or empty, not to check it).</para>
/// <para>Encodings: an entry id is 15 zero-padded digits; a request is three values, its dedup key (empty for
/// <see cref="Request.DontFilter"/>, <c>x</c> and the 20 fingerprint bytes for exact dedup, <c>b</c> and the Bloom bit
/// positions), its priority and its JSON; a lease is its entry id and token.</para>
/// </remarks>
internal sealed class ScriptArgs
{
    /// <summary>How many values the header holds: a script's own values start at <c>ARGV[HeaderLength + 1]</c>.</summary>
    public const int HeaderLength = 5;

    private const int ClockSlot = 1;
    private readonly List<RedisValue> _values;

    public ScriptArgs(string prefix, string worker, string acknowledged, string epoch)
    {
        _values = new List<RedisValue>(HeaderLength + 4) { prefix, RedisValue.EmptyString, worker, acknowledged, epoch };
    }

    /// <summary>The values after the header.</summary>
    public int Count => _values.Count - HeaderLength;

    public ScriptArgs Add(RedisValue value)
    {
        _values.Add(value);
        return this;
    }

    /// <summary>Adds a request as (dedup key, priority, JSON). Serialized here, so a request whose meta cannot be
    /// stored fails before anything is sent.</summary>
    /// <exception cref="InvalidRequestMetaException">A meta value does not serialize to JSON.</exception>
    public ScriptArgs AddRequest(Request request, RedisBloomFilter? bloom)
    {
        ArgumentNullException.ThrowIfNull(request);
        var json = RequestJson.Serialize(request);
        _values.Add(DedupKey(request, bloom));
        _values.Add(request.Priority);
        _values.Add(json);
        return this;
    }

    /// <summary>Adds a lease as (entry id, token).</summary>
    public ScriptArgs AddLease(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        _values.Add(EntryKey(lease.EntryId));
        _values.Add(lease.Token.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>
    /// Adds one completion as <c>complete.lua</c> reads it: entry id, token, status (<c>d</c>, <c>r</c>, <c>f</c>,
    /// <c>s</c>), retry delay in ms, HTTP status or empty, error kind, error, the counts of discovered requests and of
    /// items, then the discovered requests and the items. Only a done completion (what its callback yielded) and a failed one (what its error callback yielded) carry
    /// requests and items.
    /// </summary>
    /// <exception cref="ArgumentException">A discovered request or an item is null.</exception>
    /// <exception cref="InvalidRequestMetaException">A discovered request's meta does not serialize to JSON.</exception>
    public ScriptArgs AddCompletion(Completion completion, DateTimeOffset now, RedisBloomFilter? bloom)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var done = completion.Status is CompletionStatus.Done or CompletionStatus.Failed;
        IReadOnlyList<Request> discovered = done ? completion.Discovered : [];
        IReadOnlyList<byte[]> items = done ? completion.Items : [];
        AddLease(completion.Lease);
        _values.Add(StatusCode(completion.Status));
        _values.Add(completion.Status == CompletionStatus.Retry ? Math.Max(0, (long)Math.Ceiling((completion.RetryAt - now).TotalMilliseconds)) : 0);
        _values.Add(completion.HttpStatus is { } http ? http.ToString(CultureInfo.InvariantCulture) : string.Empty);
        _values.Add(completion.ErrorKind ?? string.Empty);
        _values.Add(completion.Error ?? string.Empty);
        _values.Add(discovered.Count);
        _values.Add(items.Count);
        foreach (var request in discovered)
        {
            AddRequest(request ?? throw new ArgumentException("A discovered request is null."), bloom);
        }

        foreach (var item in items)
        {
            _values.Add(item ?? throw new ArgumentException("An item is null."));
        }

        return this;
    }

    /// <summary>The values to send, with the clock slot set to <paramref name="now"/> (empty for the server's clock).</summary>
    public RedisValue[] ToArray(RedisValue now)
    {
        var values = _values.ToArray();
        values[ClockSlot] = now;
        return values;
    }

    /// <summary>An entry id as the scripts key it: 15 zero-padded digits, so ids sort as numbers.</summary>
    public static string EntryKey(long entryId) => entryId.ToString("D15", CultureInfo.InvariantCulture);

    /// <summary>The status letter <c>complete.lua</c> takes.</summary>
    public static string StatusCode(CompletionStatus status) => status switch
    {
        CompletionStatus.Done => "d",
        CompletionStatus.Retry => "r",
        CompletionStatus.Failed => "f",
        _ => "s",
    };

    /// <summary>How the scripts deduplicate <paramref name="request"/> (see <c>is_new</c> in <c>common.lua</c>).</summary>
    public static RedisValue DedupKey(Request request, RedisBloomFilter? bloom)
    {
        if (request.DontFilter)
        {
            return RedisValue.EmptyString;
        }

        if (bloom is not null)
        {
            return bloom.DedupKey(request.Fingerprint);
        }

        var key = new byte[1 + RequestFingerprint.Size];
        key[0] = (byte)'x';
        request.Fingerprint.WriteBytes(key.AsSpan(1));
        return key;
    }
}
