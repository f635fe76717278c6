using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>
/// robots.txt admission, between the frontier and the domain slots: says for each lease what its origin's robots.txt
/// makes of it (allowed, disallowed, or unavailable for now). A lease whose origin's robots.txt is not known yet waits
/// here, parked by origin, while that robots.txt is fetched; fetches run beside the dispatch loop, at most the crawl's
/// concurrency at once, each through the domain gate when there is one.
/// </summary>
/// <remarks>
/// <para>Every fetch ends by releasing what it parked: with the rules it found; when nothing answered at all (the name
/// does not resolve, the connection is refused), as unreachable, so the parked leases fail as their own downloads
/// would (<c>dns</c>, <c>refused</c>) and are retried on their own schedule, robots.txt being asked for again when
/// they come back; or, when the server answered badly or the fetch failed in any other way, as unavailable, so the
/// parked leases are retried as <c>robots_unavailable</c> and fail once their retries run out. Nothing is left waiting
/// for an answer that will never come. Only a run that is stopping leaves leases parked, and <see cref="TakeParked"/>
/// then hands them back for release.</para>
/// <para>Everything but the fetches themselves belongs to the dispatch loop and is not thread-safe.</para>
/// </remarks>
internal sealed class RobotsTxtAdmission
{
    private readonly RobotsTxtCache _cache;
    private readonly int _maxFetches;
    private readonly DomainGatePermits? _permits;
    private readonly StatsCollector _stats;
    private readonly CrawlLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, List<Lease>> _parked = new(StringComparer.Ordinal);
    private readonly Queue<(string Origin, string Domain)> _toFetch = new();
    private readonly ConcurrentQueue<FetchEnded> _ended = new();
    private readonly HashSet<Task> _fetches = [];
    private int _fetching;

    /// <param name="cache">The run's robots.txt rules, by origin.</param>
    /// <param name="maxFetches">The most robots.txt fetches at once (the crawl's concurrency: they count toward no slot).</param>
    /// <param name="permits">The domain gate, when there is one: each fetch waits for a permit.</param>
    /// <param name="stats">Counts the fetches.</param>
    /// <param name="lifetime">The run's stop states, and the loop's wake-up call when a fetch ends.</param>
    /// <param name="time">The crawl's clock.</param>
    /// <param name="logger">Where failed fetches are logged.</param>
    public RobotsTxtAdmission(RobotsTxtCache cache, int maxFetches, DomainGatePermits? permits, StatsCollector stats, CrawlLifetime lifetime, TimeProvider time, ILogger logger)
    {
        _cache = cache;
        _maxFetches = maxFetches;
        _permits = permits;
        _stats = stats;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    /// <summary>Leases parked until their origin's robots.txt arrives.</summary>
    public int Parked { get; private set; }

    /// <summary>
    /// What robots.txt makes of <paramref name="lease"/> now. <see cref="RobotsVerdictKind.Waiting"/>: it is parked here
    /// until its origin's robots.txt is known, then handed back by <see cref="CollectFetched"/> to be admitted again.
    /// </summary>
    public RobotsVerdict Admit(Lease lease, DateTimeOffset now)
    {
        var url = lease.Request.Url;
        var origin = RobotsTxtCache.OriginOf(url);
        if (!_cache.TryGet(origin, now, out var entry))
        {
            var domain = DomainScheduler.DomainOf(url);
            Park(origin, lease);
            if (_cache.BeginFetch(origin))
            {
                _toFetch.Enqueue((origin, domain));
                StartFetches();
            }

            return default;
        }

        if (entry.UnavailableUntil is { } until)
        {
            return new RobotsVerdict(RobotsVerdictKind.Unavailable, $"robots.txt of {origin} is unavailable ({entry.Summary}).", until);
        }

        if (entry.Rules.Match(url) is { Allow: false } rule)
        {
            return new RobotsVerdict(RobotsVerdictKind.Disallowed, $"Disallowed by robots.txt of {origin} ({rule}).");
        }

        return new RobotsVerdict(RobotsVerdictKind.Allowed);
    }

    /// <summary>
    /// Takes in the fetches that ended since the last call, on the dispatch loop: keeps their rules, tells
    /// <paramref name="scheduler"/> about each robots.txt request (its place in the domain's delay, a Crawl-delay), and
    /// adds the leases that waited for them to <paramref name="released"/>, to be admitted again; or, when nothing
    /// answered, to <paramref name="unreachable"/> with their verdict (<see cref="RobotsVerdictKind.Unreachable"/>), to fail
    /// as their downloads would.
    /// </summary>
    public void CollectFetched(DomainScheduler scheduler, List<Lease> released, List<(Lease Lease, RobotsVerdict Verdict)> unreachable)
    {
        while (_ended.TryDequeue(out var ended))
        {
            _fetching--;
            StartFetches();
            if (ended.Entry is not { } entry)
            {
                // The run stopped before the answer: its leases stay parked, and are handed back with the rest.
                _cache.Abandon(ended.Origin);
                continue;
            }

            if (entry.Unreachable is { } kind)
            {
                // Nothing is kept: the next request there asks for robots.txt again.
                _cache.Abandon(ended.Origin);
                if (_parked.Remove(ended.Origin, out var stranded))
                {
                    Parked -= stranded.Count;
                    var verdict = new RobotsVerdict(RobotsVerdictKind.Unreachable, $"{entry.Summary} (asking for robots.txt of {ended.Origin})", ErrorKind: kind);
                    unreachable.AddRange(stranded.Select(lease => (lease, verdict)));
                }

                continue;
            }

            _cache.Store(ended.Origin, entry);
            if (entry.CrawlDelay > TimeSpan.Zero)
            {
                scheduler.SetCrawlDelay(ended.Domain, entry.CrawlDelay);
                Log.RobotsCrawlDelay(_logger, ended.Origin, entry.CrawlDelay);
            }

            // The robots.txt request takes its place in the domain's delay.
            scheduler.StartedOutside(ended.Domain, ended.At);
            if (_parked.Remove(ended.Origin, out var waiting))
            {
                Parked -= waiting.Count;
                released.AddRange(waiting);
            }
        }

        if (_fetches.Count > 64)
        {
            _fetches.RemoveWhere(static task => task.IsCompleted);
        }
    }

    /// <summary>Removes and returns every parked lease, for release when the run stops or the frontier pauses.</summary>
    public List<Lease> TakeParked()
    {
        var all = new List<Lease>(Parked);
        foreach (var waiting in _parked.Values)
        {
            all.AddRange(waiting);
        }

        _parked.Clear();
        Parked = 0;
        return all;
    }

    /// <summary>Starts no more fetches and waits for those under way to end (they end promptly once the run stops).</summary>
    public async Task StopAsync()
    {
        _toFetch.Clear();
        // A fetch never throws (see FetchAsync), so this waits without observing anything.
        await Task.WhenAll(_fetches).ConfigureAwait(false);
    }

    private void Park(string origin, Lease lease)
    {
        if (!_parked.TryGetValue(origin, out var waiting))
        {
            waiting = [];
            _parked.Add(origin, waiting);
        }

        waiting.Add(lease);
        Parked++;
    }

    // Fetches count toward no slot, so a broad crawl meeting many new hosts at once could start hundreds; they are held
    // to the crawl's concurrency.
    private void StartFetches()
    {
        while (_fetching < _maxFetches && _toFetch.TryDequeue(out var next))
        {
            _fetching++;
            _fetches.Add(FetchAsync(next.Origin, next.Domain));
        }
    }

    // Never throws: however it ends, it reports an ending, with an entry unless the run is stopping.
    private async Task FetchAsync(string origin, string domain)
    {
        // Yield so the dispatch loop goes on with other hosts while this one's robots.txt is fetched.
        await Task.Yield();
        RobotsEntry? entry = null;
        var permitted = false;
        try
        {
            permitted = _permits is not null && await _permits.AcquireWaitingAsync(domain).ConfigureAwait(false);
            if (_permits is null || permitted)
            {
                _stats.RobotsFetch();
                entry = await _cache.FetchAsync(origin, _lifetime.Aborting).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsAborting)
        {
            // Stopped at once: the parked leases are released with the rest.
        }
        catch (Exception ex)
        {
            // A failure of our own (a bad origin, say) must not strand what waits for this robots.txt.
            Log.RobotsFetchFailed(_logger, ex, origin);
            entry = _cache.Unavailable(_time.GetUtcNow(), $"{ex.GetType().Name}: {ex.Message}");
        }

        try
        {
            if (permitted)
            {
                await _permits!.ReleaseAsync(domain).ConfigureAwait(false);
            }
        }
        finally
        {
            if (entry is null && !_lifetime.IsPausing)
            {
                // Not stopping, so there must be an answer: one that will not come is treated as unavailable.
                entry = _cache.Unavailable(_time.GetUtcNow(), "no answer");
            }

            // The domain's delay counts from when robots.txt arrived, not from when it was asked for: the server has
            // surely seen that request by then, and it happens once per origin, so the cautious choice costs nothing.
            _ended.Enqueue(new FetchEnded(origin, domain, _time.GetUtcNow(), entry));
            _lifetime.Wake();
        }
    }

    /// <summary>A fetch that ended; <c>Entry</c> is null when the run stopped first.</summary>
    private sealed record FetchEnded(string Origin, string Domain, DateTimeOffset At, RobotsEntry? Entry);
}

/// <summary>What robots.txt makes of a request.</summary>
internal enum RobotsVerdictKind
{
    /// <summary>Not known yet: the request is parked until its origin's robots.txt arrives.</summary>
    Waiting,

    /// <summary>Allowed: on to the domain slots.</summary>
    Allowed,

    /// <summary>Disallowed by a rule: skipped, kind <c>robots</c>.</summary>
    Disallowed,

    /// <summary>robots.txt could not be had: retried no sooner than <see cref="RobotsVerdict.RetryAt"/>, kind <c>robots_unavailable</c>.</summary>
    Unavailable,

    /// <summary>Nothing answered for robots.txt: the request fails as its download would (<see cref="RobotsVerdict.ErrorKind"/>), retried as such.</summary>
    Unreachable,
}

/// <summary>What robots.txt makes of a request, and why (for a refusal).</summary>
/// <param name="Kind">The verdict.</param>
/// <param name="Reason">Why it is disallowed, unavailable or unreachable.</param>
/// <param name="RetryAt">When an unavailable robots.txt is asked for again.</param>
/// <param name="ErrorKind">Why an unreachable one was: <c>dns</c>, <c>refused</c> or <c>too_many_open_files</c>.</param>
internal readonly record struct RobotsVerdict(RobotsVerdictKind Kind, string? Reason = null, DateTimeOffset RetryAt = default, string? ErrorKind = null);
