namespace Trawl.Redis;

/// <summary>
/// The Redis keys of one crawl, all under <c>trawl:{spider}:</c>.
/// </summary>
/// <remarks>
/// <para>Entry ids are 15-digit zero-padded decimals (<c>000000000000042</c>), so entries of equal priority sort by
/// id, first scheduled first. Times are Unix milliseconds by the frontier's clock (<see cref="RedisClock"/>).</para>
/// <list type="table">
/// <listheader><term>Key (after <c>trawl:{spider}:</c>)</term><description>Type and content</description></listheader>
/// <item><term><c>start_urls</c></term><description>list. Seeds pushed by anyone (<c>LPUSH</c>): a plain URL, or a JSON
/// request <c>{"url":…,"meta":{…},"priority":n}</c>. Workers claim from the right end, so it is first in, first out.</description></item>
/// <item><term><c>seed_claims</c>, <c>seed_claim:{n}</c>, <c>seed_claim_seq</c></term><description>zset claim → deadline,
/// list of the claimed messages, counter. A worker claims a batch of seeds, parses them, then schedules them and deletes the claim
/// in one script; a claim whose worker died is pushed back to <c>start_urls</c> when its deadline passes.</description></item>
/// <item><term><c>seeds_invalid</c></term><description>list. The last 1,000 seed messages that were not a URL or a valid JSON
/// request, as <c>{"message","reason","at"}</c>.</description></item>
/// <item><term><c>seq</c></term><description>string counter. The last entry id.</description></item>
/// <item><term><c>requests</c></term><description>hash entry id → request JSON (<see cref="Http.RequestJson"/>), while the
/// entry is pending, delayed or leased. Deleted when it is done, failed or skipped.</description></item>
/// <item><term><c>entries</c></term><description>hash entry id → <c>"priority attempts"</c> (attempts completed so far), for the
/// same entries.</description></item>
/// <item><term><c>pending</c></term><description>zset entry id, score −priority. Due now; leased lowest score first, then by id.</description></item>
/// <item><term><c>delayed</c></term><description>zset entry id, score due time. Retries waiting for their time; moved to
/// <c>pending</c> when due.</description></item>
/// <item><term><c>leases</c></term><description>zset entry id, score lease deadline. Entries out with a worker; an entry
/// whose deadline has passed goes back to <c>pending</c>.</description></item>
/// <item><term><c>holders</c></term><description>hash entry id → <c>"token worker"</c>: who holds the lease, with which token.</description></item>
/// <item><term><c>tokens</c></term><description>string counter. The last lease token.</description></item>
/// <item><term><c>seen</c></term><description>set of 20-byte fingerprints (exact dedup). Kept after entries finish.</description></item>
/// <item><term><c>bloom</c></term><description>string bitmap (Bloom dedup), sized by <c>config</c>.</description></item>
/// <item><term><c>config</c></term><description>hash <c>dedup</c>, <c>bloom_bits</c>, <c>bloom_hashes</c>, <c>created</c>,
/// <c>version</c>, <c>epoch</c>: recorded by the first worker (or seed), adopted by the others. The epoch, a random id,
/// is the crawl's identity: a worker whose epoch is no longer there stops (<see cref="RedisCrawlLostException"/>). Also <c>global_rate</c>, <c>global_burst</c>,
/// <c>global_concurrency</c>: the <see cref="RedisDomainLimiter"/>'s limits, once a worker sets them.</description></item>
/// <item><term><c>stats</c></term><description>hash counters <c>done</c>, <c>failed</c>, <c>skipped</c>, <c>retried</c>,
/// <c>leased</c>, <c>expired</c>, <c>seeded</c>, <c>reclaimed</c> (leases taken back from dead workers).</description></item>
/// <item><term><c>rate</c></term><description>hash minute (Unix time / 60 s) → requests done in it; the last hour is kept.</description></item>
/// <item><term><c>errors</c></term><description>hash error kind → count, over retries and failures.</description></item>
/// <item><term><c>failures</c></term><description>hash error kind → requests that failed for good with it (their last
/// attempt's kind); the counts add up to <c>stats</c> <c>failed</c>, for failures since this key was introduced.</description></item>
/// <item><term><c>failed</c></term><description>hash entry id → <c>{"kind","error","status","attempts","at","worker","request"}</c>
/// for each request that failed for good.</description></item>
/// <item><term><c>corrupt</c></term><description>list. Damaged data a script set aside instead of using, newest first, as
/// <c>{"key","field","value","request","reason","at","worker"}</c>: an entry whose <c>entries</c> value is not
/// <c>"priority attempts"</c> or whose request is missing or does not parse (it leaves every other key, with its raw
/// values kept here), or a counter that held no integer (restarted).</description></item>
/// <item><term><c>items</c></term><description>stream. Committed items, entry id <c>{sequence}-0</c>, field <c>j</c> the item JSON.</description></item>
/// <item><term><c>item_seq</c></term><description>string counter. The last item sequence.</description></item>
/// <item><term><c>exports</c></term><description>hash output name → <c>"sequence position"</c>: export checkpoints. A worker's
/// own output is named <c>SHARE|PATH</c> (<see cref="RedisFrontierOptions.ItemShare"/>), <c>trawl export</c>'s
/// <c>export:HOST|PATH</c>.</description></item>
/// <item><term><c>paused</c></term><description>string, present while the whole cluster is paused (value: when it was set).</description></item>
/// <item><term><c>pause_epoch</c></term><description>string counter, advanced at every pause and resume, so workers that hear
/// of pause states out of order keep the newest (<see cref="RedisFrontier.IsPaused"/>).</description></item>
/// <item><term><c>workers</c></term><description>zset worker id → when it last made a call.</description></item>
/// <item><term><c>alive</c></term><description>zset worker id → liveness deadline: its last beat plus
/// <see cref="RedisFrontierOptions.LivenessTimeout"/>. A worker past its deadline is dead, and the next lease or wait of
/// another worker takes back its leases.</description></item>
/// <item><term><c>worker_info</c></term><description>hash worker id → <c>{"host","pid","started"}</c>.</description></item>
/// <item><term><c>worker_done</c></term><description>hash worker id → requests it completed as done.</description></item>
/// <item><term><c>op:{id}</c></term><description>string, expires after an hour. The result of a completion or add batch, so
/// a retry after a lost reply returns the first result instead of applying the batch twice. Deleted once the worker has
/// the result.</description></item>
/// <item><term><c>events</c></term><description>pub/sub channel. <c>changed</c> ("something changed") wakes waiting workers;
/// <c>pause {state}</c> announces a pause or resume (state: <c>pause_epoch</c> × 2, plus 1 while paused).</description></item>
/// <item><term><c>domain:{host}:bucket</c>, <c>domain:{host}:slots</c></term><description>hash <c>tokens</c>, <c>ts</c>
/// and zset slot → expiry: the <see cref="RedisDomainLimiter"/>'s token bucket and concurrency slots for one host.</description></item>
/// </list>
/// </remarks>
public sealed class RedisKeys
{
    /// <summary>The prefix of every crawl's keys.</summary>
    public const string Root = "trawl:";

    /// <summary>Creates the key names of the crawl named <paramref name="spiderName"/>.</summary>
    /// <exception cref="ArgumentException">The name is not 1-100 letters, digits, <c>.</c>, <c>_</c> or <c>-</c>.</exception>
    public RedisKeys(string spiderName)
    {
        if (!IsValidName(spiderName))
        {
            throw new ArgumentException("A spider name for Redis must be 1-100 letters, digits, '.', '_' or '-'.", nameof(spiderName));
        }

        SpiderName = spiderName;
        Prefix = $"{Root}{spiderName}:";
    }

    /// <summary>The spider name.</summary>
    public string SpiderName { get; }

    /// <summary><c>trawl:{spider}:</c>.</summary>
    public string Prefix { get; }

    /// <summary>The list that seeds are pushed to.</summary>
    public string StartUrls => Prefix + "start_urls";

    /// <summary>The cluster pause flag.</summary>
    public string Paused => Prefix + "paused";

    /// <summary>The item stream.</summary>
    public string Items => Prefix + "items";

    /// <summary>The export checkpoints.</summary>
    public string Exports => Prefix + "exports";

    /// <summary>The crawl's recorded settings.</summary>
    public string Config => Prefix + "config";

    /// <summary>The list of damaged data set aside.</summary>
    public string Corrupt => Prefix + "corrupt";

    /// <summary>The pub/sub channel that wakes waiting workers.</summary>
    public string Events => Prefix + "events";

    /// <summary>The prefix of one host's politeness keys.</summary>
    public string Domain(string host) => $"{Prefix}domain:{host}:";

    /// <summary>Returns the key named <paramref name="name"/> (one of those in the table above).</summary>
    public string this[string name] => Prefix + name;

    /// <summary>Whether <paramref name="name"/> may be a spider name or worker id: 1-100 letters, digits, <c>.</c>, <c>_</c> or <c>-</c>.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 100 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
