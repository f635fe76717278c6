using Trawl.Frontier;

namespace Trawl.Engine;

/// <summary>
/// Holds leased requests per domain and hands out the next one whose domain has a free slot and whose
/// download delay has passed. Owned by the engine's dispatch loop: not thread-safe, by design.
/// </summary>
internal sealed class DomainScheduler
{
    private readonly Dictionary<string, DomainSlot> _domains = new(StringComparer.Ordinal);
    private readonly LinkedList<DomainSlot> _ready = new();
    private readonly int _perDomain;
    private readonly Func<string, TimeSpan> _delayFor;
    private readonly Random _random;

    public DomainScheduler(int perDomain, Func<string, TimeSpan> delayFor, Random random)
    {
        _perDomain = perDomain;
        _delayFor = delayFor;
        _random = random;
    }

    /// <summary>Leases held here, not yet started.</summary>
    public int Buffered { get; private set; }

    public static string DomainOf(Uri url) => url.IdnHost;

    public void Add(Lease lease)
    {
        var domain = DomainOf(lease.Request.Url);
        if (!_domains.TryGetValue(domain, out var slot))
        {
            slot = new DomainSlot(domain);
            _domains.Add(domain, slot);
        }

        slot.Queue.Enqueue(lease);
        Buffered++;
        if (slot.Node is null)
        {
            slot.Node = _ready.AddLast(slot);
        }
    }

    /// <summary>
    /// Takes the next startable lease, round-robin over domains. When none can start now, <paramref name="wait"/>
    /// says how long until a delayed domain can (or <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </summary>
    public bool TryTake(DateTimeOffset now, out Lease lease, out TimeSpan wait)
    {
        wait = Timeout.InfiniteTimeSpan;
        var node = _ready.First;
        while (node is not null)
        {
            var slot = node.Value;
            var next = node.Next;
            if (slot.Active < _perDomain)
            {
                if (slot.NextStart <= now)
                {
                    lease = slot.Queue.Dequeue();
                    Buffered--;
                    slot.Active++;
                    var delay = _delayFor(slot.Domain);
                    if (delay > TimeSpan.Zero)
                    {
                        slot.NextStart = now + delay;
                    }

                    // Round robin: this domain goes to the back.
                    _ready.Remove(node);
                    slot.Node = slot.Queue.Count > 0 ? _ready.AddLast(slot) : null;
                    return true;
                }

                var until = slot.NextStart - now;
                if (wait == Timeout.InfiniteTimeSpan || until < wait)
                {
                    wait = until;
                }
            }

            node = next;
        }

        lease = null!;
        return false;
    }

    /// <summary>Marks a started request of a domain as finished, freeing its slot.</summary>
    public void Finished(Uri url)
    {
        if (_domains.TryGetValue(DomainOf(url), out var slot))
        {
            slot.Active--;
            if (slot.Active == 0 && slot.Queue.Count == 0)
            {
                _domains.Remove(slot.Domain);
            }
        }
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
        Buffered = 0;
        return all;
    }

    /// <summary>Scales a delay by a random factor in [0.5, 1.5), as Scrapy does, so requests do not fall into lockstep.</summary>
    public TimeSpan Randomize(TimeSpan delay) => delay * (0.5 + _random.NextDouble());

    private sealed class DomainSlot(string domain)
    {
        public string Domain { get; } = domain;

        public Queue<Lease> Queue { get; } = new();

        public int Active { get; set; }

        public DateTimeOffset NextStart { get; set; } = DateTimeOffset.MinValue;

        public LinkedListNode<DomainSlot>? Node { get; set; }
    }
}
