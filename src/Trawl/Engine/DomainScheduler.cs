using Trawl.Crawling;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>
/// Holds leased requests per domain and hands out the next one whose domain has a free slot and whose delay has
/// passed. Each domain keeps its politeness state here: concurrency, the delay and when the next request may start,
/// AutoThrottle's adapted delay, robots.txt <c>Crawl-delay</c>, a <c>Retry-After</c> pause and the page count of
/// <see cref="CrawlOptions.MaxPagesPerDomain"/>. Owned by the engine's dispatch loop: not thread-safe, by design.
/// </summary>
/// <remarks>
/// The delay is measured between the starts of two requests to a domain. It is set when a request is taken and pushed
/// later by <see cref="Started"/> when the download actually begins, so a request that was slow to get going (a busy
/// thread pool, slow middleware) does not shorten the gap after it. Until that start is known, no other request of the
/// domain is taken (when the domain has a delay): with several requests to a domain allowed at once, the next one would
/// otherwise go as soon as the delay from the take had passed, and could start less than the delay after a slow one, or
/// before it. A request that ends without starting (skipped by middleware, say) lets the next go too
/// (<see cref="Finished"/>).
/// </remarks>
internal sealed class DomainScheduler
{
    private const int MinSweepThreshold = 1024;

    private readonly Dictionary<string, DomainSlot> _domains = new(StringComparer.Ordinal);
    private readonly LinkedList<DomainSlot> _ready = new();
    private readonly CrawlOptions _options;
    private readonly Dictionary<string, DomainSettings> _overrides;
    private readonly Random _random;
    private int _sweepThreshold = MinSweepThreshold;
    private LinkedListNode<DomainSlot>? _peeked;
    private TakeKind _peekedKind;
    private DateTimeOffset? _lastLook;

    public DomainScheduler(CrawlOptions options, Random random)
    {
        _options = options;
        _random = random;
        _overrides = new Dictionary<string, DomainSettings>(StringComparer.Ordinal);
        foreach (var (domain, settings) in options.Domains)
        {
            _overrides[DomainNames.Normalize(domain) ?? domain] = settings;
        }
    }

    /// <summary>Leases held here, not yet started.</summary>
    public int Buffered { get; private set; }

    /// <summary>The domain a URL belongs to: its host, lower-case, IDN in ASCII form.</summary>
    public static string DomainOf(Uri url) => DomainNames.HostOf(url);

    public void Add(Lease lease)
    {
        var slot = SlotOf(DomainOf(lease.Request.Url));
        slot.Queue.Enqueue(lease);
        Buffered++;
        slot.Node ??= _ready.AddLast(slot);
    }

    /// <summary>
    /// Takes the next lease, round-robin over domains: one that may start (<see cref="TakeKind.Start"/>, with the
    /// <paramref name="delay"/> the domain then waits), or one that would go over its domain's page limit
    /// (<see cref="TakeKind.OverLimit"/>: not started, to be recorded as skipped). When none can be taken now,
    /// <paramref name="wait"/> says how long until a delayed domain can (or <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </summary>
    public TakeKind TryTake(DateTimeOffset now, out Lease lease, out TimeSpan delay, out TimeSpan wait)
    {
        var kind = TryPeek(now, out lease, out wait);
        delay = kind == TakeKind.None ? TimeSpan.Zero : Take(now);
        return kind;
    }

    /// <summary>
    /// Finds the lease <see cref="TryTake"/> would hand out, without taking it, so that a domain gate can be asked
    /// first. Then either <see cref="Take"/> takes it, or <see cref="PauseUntil"/> defers its domain (and the next peek
    /// moves on), with no other change to the scheduler in between.
    /// </summary>
    public TakeKind TryPeek(DateTimeOffset now, out Lease lease, out TimeSpan wait)
    {
        wait = Timeout.InfiniteTimeSpan;
        _peeked = null;
        for (var node = _ready.First; node is not null; node = node.Next)
        {
            var slot = node.Value;
            var head = slot.Queue.Peek();
            if (head.Attempt == 1 && slot.MaxPages is { } max && slot.Started >= max)
            {
                // Over the limit: handed out at once, whatever the delay, since it will not be fetched.
                return Peeked(node, TakeKind.OverLimit, out lease);
            }

            if (slot.Active < slot.Concurrency && slot.AwaitingStart == 0)
            {
                if (slot.NextStart <= now)
                {
                    return Peeked(node, TakeKind.Start, out lease);
                }

                var until = slot.NextStart - now;
                if (wait == Timeout.InfiniteTimeSpan || until < wait)
                {
                    wait = until;
                }
            }
        }

        lease = null!;
        return TakeKind.None;
    }

    /// <summary>
    /// Takes the lease the last <see cref="TryPeek"/> found. Returns the delay its domain then waits before the next
    /// start (zero for a lease over its domain's page limit, which does not start).
    /// </summary>
    public TimeSpan Take(DateTimeOffset now)
    {
        var node = _peeked ?? throw new InvalidOperationException("Take follows a TryPeek that found a lease.");
        _peeked = null;
        var slot = node.Value;
        var lease = Dequeue(slot, node);
        if (_peekedKind == TakeKind.OverLimit)
        {
            return TimeSpan.Zero;
        }

        slot.Active++;
        if (lease.Attempt == 1)
        {
            slot.Started++;
        }

        var delay = GapAfter(slot, lease.Request);
        if (delay > TimeSpan.Zero)
        {
            slot.NextStart = now + delay;

            // The gap counts from the download's start, which Started reports; the domain waits for it.
            slot.AwaitingStart++;
        }

        return delay;
    }

    /// <summary>
    /// A download of the domain, taken with a gap of <paramref name="delay"/> after it, began at <paramref name="at"/>:
    /// the next may start no sooner than <paramref name="delay"/> later.
    /// </summary>
    public void Started(string domain, DateTimeOffset at, TimeSpan delay)
    {
        if (delay > TimeSpan.Zero && _domains.TryGetValue(domain, out var slot))
        {
            slot.AwaitingStart = Math.Max(0, slot.AwaitingStart - 1);
            PushNextStart(slot, at + delay);
        }
    }

    /// <summary>
    /// A request outside the slots (robots.txt) was made to the domain at <paramref name="at"/>: the next request waits
    /// the domain's delay from then.
    /// </summary>
    public void StartedOutside(string domain, DateTimeOffset at)
    {
        var slot = SlotOf(domain);
        PushNextStart(slot, at + GapAfter(slot, request: null));
    }

    /// <summary>
    /// Marks a taken request of a domain as finished, freeing its slot; <paramref name="failed"/> when it ended in an
    /// error. <paramref name="neverStarted"/>: it was taken with a gap after it but ended before its download began
    /// (<see cref="Started"/> was not called), so the domain no longer waits for its start.
    /// </summary>
    public void Finished(string domain, DateTimeOffset now, bool failed = false, bool neverStarted = false)
    {
        if (_domains.TryGetValue(domain, out var slot))
        {
            slot.Active--;
            slot.Ended++;
            if (failed)
            {
                slot.Errors++;
            }

            if (neverStarted)
            {
                slot.AwaitingStart = Math.Max(0, slot.AwaitingStart - 1);
            }
        }

        if (_domains.Count > _sweepThreshold)
        {
            Sweep(now);
        }
    }

    /// <summary>AutoThrottle: a response with <paramref name="status"/> took <paramref name="latency"/>. Returns the old and new delay when it changed.</summary>
    public (TimeSpan Old, TimeSpan New)? Observe(string domain, TimeSpan latency, int status)
    {
        if (!_options.AutoThrottle.Enabled || !_domains.TryGetValue(domain, out var slot))
        {
            return null;
        }

        var old = slot.Delay;
        slot.Delay = AutoThrottle.NextDelay(_options.AutoThrottle, old, latency, status, slot.MinDelay);
        return slot.Delay == old ? null : (old, slot.Delay);
    }

    /// <summary>Pauses a domain (Retry-After): no request to it starts before <paramref name="until"/>. Returns whether that moved its next start.</summary>
    public bool PauseUntil(string domain, DateTimeOffset until)
    {
        var slot = SlotOf(domain);
        if (until <= slot.NextStart)
        {
            return false;
        }

        slot.NextStart = until;
        return true;
    }

    /// <summary>Sets the robots.txt <c>Crawl-delay</c> of a domain: a floor under every gap, never randomized.</summary>
    public void SetCrawlDelay(string domain, TimeSpan crawlDelay) => SlotOf(domain).CrawlDelay = crawlDelay;

    /// <summary>The domain's current delay before randomization (configured, per-domain or AutoThrottle's), for tests and logs.</summary>
    public TimeSpan DelayOf(string domain) => SlotOf(domain).Delay;

    /// <summary>The page limit of a domain, if it has one.</summary>
    public long? MaxPagesOf(string domain) => SlotOf(domain).MaxPages;

    /// <summary>When the next request to the domain may start, for tests.</summary>
    internal DateTimeOffset NextStartOf(string domain) => SlotOf(domain).NextStart;

    /// <summary>
    /// The busiest domains now, at most <paramref name="max"/>, busiest first: by downloads ended per second since the
    /// last call (over at least <paramref name="minWindow"/>, so a call soon after the last one shows no burst), then
    /// requests in flight, then leases held. Idle domains are left out. One pass over the domains, for the progress
    /// report once an interval.
    /// </summary>
    public List<DomainProgress> Busiest(int max, DateTimeOffset now, TimeSpan minWindow)
    {
        var seconds = _lastLook is { } last ? Math.Max((now - last).TotalSeconds, minWindow.TotalSeconds) : 0;
        _lastLook = now;
        var top = new List<(double Rate, DomainSlot Slot)>(max + 1);
        foreach (var slot in _domains.Values)
        {
            var ended = slot.Ended - slot.EndedAtLastLook;
            slot.EndedAtLastLook = slot.Ended;
            if (ended == 0 && slot.Active == 0 && slot.Queue.Count == 0)
            {
                continue;
            }

            var entry = (Rate: seconds > 0 ? ended / seconds : 0, Slot: slot);
            var at = top.Count;
            while (at > 0 && Busier(entry, top[at - 1]))
            {
                at--;
            }

            if (at < max)
            {
                top.Insert(at, entry);
                if (top.Count > max)
                {
                    top.RemoveAt(max);
                }
            }
        }

        return top.ConvertAll(entry => new DomainProgress
        {
            Domain = entry.Slot.Domain,
            RequestsPerSecond = entry.Rate,
            InFlight = entry.Slot.Active,
            Queued = entry.Slot.Queue.Count,
            Delay = entry.Slot.Delay < entry.Slot.CrawlDelay ? entry.Slot.CrawlDelay : entry.Slot.Delay,
            Requests = entry.Slot.Ended,
            Errors = entry.Slot.Errors,
        });

        static bool Busier((double Rate, DomainSlot Slot) a, (double Rate, DomainSlot Slot) b) =>
            a.Rate != b.Rate ? a.Rate > b.Rate
            : a.Slot.Active != b.Slot.Active ? a.Slot.Active > b.Slot.Active
            : a.Slot.Queue.Count != b.Slot.Queue.Count ? a.Slot.Queue.Count > b.Slot.Queue.Count
            : string.CompareOrdinal(a.Slot.Domain, b.Slot.Domain) < 0;
    }

    /// <summary>Removes and returns every lease held here, for release on pause.</summary>
    public List<Lease> Drain()
    {
        var all = new List<Lease>(Buffered);
        foreach (var slot in _domains.Values)
        {
            while (slot.Queue.TryDequeue(out var lease))
            {
                all.Add(lease);
            }

            slot.Node = null;
        }

        _ready.Clear();
        _peeked = null;
        Buffered = 0;
        return all;
    }

    private static void PushNextStart(DomainSlot slot, DateTimeOffset next)
    {
        if (next > slot.NextStart)
        {
            slot.NextStart = next;
        }
    }

    private TakeKind Peeked(LinkedListNode<DomainSlot> node, TakeKind kind, out Lease lease)
    {
        _peeked = node;
        _peekedKind = kind;
        lease = node.Value.Queue.Peek();
        return kind;
    }

    private Lease Dequeue(DomainSlot slot, LinkedListNode<DomainSlot> node)
    {
        var lease = slot.Queue.Dequeue();
        Buffered--;

        // Round robin: this domain goes to the back.
        _ready.Remove(node);
        slot.Node = slot.Queue.Count > 0 ? _ready.AddLast(slot) : null;
        return lease;
    }

    // The wait after a request to the domain starts, before the next may.
    private TimeSpan GapAfter(DomainSlot slot, Request? request)
    {
        TimeSpan gap;
        if (request is not null && RequestMeta.TryGetSeconds(request, RequestMeta.DownloadDelay, allowZero: true) is { } own)
        {
            gap = own;
        }
        else
        {
            gap = slot.Delay;
            if (gap > TimeSpan.Zero && _options.RandomizeDownloadDelay)
            {
                gap *= NextFactor(slot);
            }
        }

        return gap < slot.CrawlDelay ? slot.CrawlDelay : gap;
    }

    // Factors in [0.5, 1.5), drawn in antithetic pairs (f, then 2 - f): each is uniform, yet every two gaps average the
    // configured delay, so the site sees the rate it was promised rather than a random walk around it.
    private double NextFactor(DomainSlot slot)
    {
        if (slot.PairedFactor is { } paired)
        {
            slot.PairedFactor = null;
            return paired;
        }

        var factor = 0.5 + _random.NextDouble();
        slot.PairedFactor = 2 - factor;
        return factor;
    }

    private DomainSlot SlotOf(string domain)
    {
        if (_domains.TryGetValue(domain, out var slot))
        {
            return slot;
        }

        DomainNames.TryFind(_overrides, domain, out var settings);
        var minDelay = settings?.DownloadDelay ?? _options.DownloadDelay;
        slot = new DomainSlot(domain)
        {
            Concurrency = settings?.Concurrency ?? _options.ConcurrencyPerDomain,
            MaxPages = settings?.MaxPages ?? _options.MaxPagesPerDomain,
            MinDelay = minDelay,
            Delay = _options.AutoThrottle.Enabled ? AutoThrottle.StartDelay(_options.AutoThrottle, minDelay) : minDelay,
        };
        _domains.Add(domain, slot);
        return slot;
    }

    // Forgets idle domains that carry nothing worth keeping, so a broad crawl over millions of hosts stays small. A
    // domain with a page limit keeps its count; one still inside its delay or pause keeps its next start.
    private void Sweep(DateTimeOffset now)
    {
        List<string>? idle = null;
        foreach (var slot in _domains.Values)
        {
            if (slot.Active == 0 && slot.Queue.Count == 0 && slot.NextStart <= now && slot.MaxPages is null && slot.CrawlDelay == TimeSpan.Zero)
            {
                (idle ??= []).Add(slot.Domain);
            }
        }

        foreach (var domain in idle ?? [])
        {
            _domains.Remove(domain);
        }

        _sweepThreshold = Math.Max(MinSweepThreshold, _domains.Count * 2);
    }

    private sealed class DomainSlot(string domain)
    {
        public string Domain { get; } = domain;

        public Queue<Lease> Queue { get; } = new();

        public int Active { get; set; }

        /// <summary>Requests taken with a gap after them whose download has not reported its start yet.</summary>
        public int AwaitingStart { get; set; }

        public int Concurrency { get; init; }

        public long? MaxPages { get; init; }

        public long Started { get; set; }

        /// <summary>Downloads that ended, and of them those that ended in an error, for the progress report.</summary>
        public long Ended { get; set; }

        public long Errors { get; set; }

        /// <summary><see cref="Ended"/> at the last <see cref="Busiest"/>, for the rate since.</summary>
        public long EndedAtLastLook { get; set; }

        /// <summary>The configured delay: the floor under AutoThrottle.</summary>
        public TimeSpan MinDelay { get; init; }

        /// <summary>The delay before randomization: the configured one, or AutoThrottle's.</summary>
        public TimeSpan Delay { get; set; }

        public TimeSpan CrawlDelay { get; set; }

        public double? PairedFactor { get; set; }

        public DateTimeOffset NextStart { get; set; } = DateTimeOffset.MinValue;

        public LinkedListNode<DomainSlot>? Node { get; set; }
    }
}

/// <summary>What <see cref="DomainScheduler.TryTake"/> handed out.</summary>
internal enum TakeKind
{
    /// <summary>Nothing can be taken now.</summary>
    None,

    /// <summary>A request to start.</summary>
    Start,

    /// <summary>A request over its domain's page limit, to record as skipped.</summary>
    OverLimit,
}
