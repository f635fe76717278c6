namespace Trawl.Engine;

/// <summary>
/// The per-domain figures of the progress report (<see cref="CrawlProgress.Domains"/>). The dispatch loop, which alone
/// owns the <see cref="DomainScheduler"/>, takes them at most once an interval; the progress reporter reads the last
/// ones from its own loop.
/// </summary>
/// <remarks>
/// Every download that ends wakes the dispatch loop, and while anything is in flight or waiting its waits are capped
/// (<see cref="Cap"/>), so the figures are taken on time; before it goes idle it takes them at once. Figures older than two
/// intervals therefore mean that nothing has ended since: they are read with no rate.
/// </remarks>
internal sealed class DomainFigures(TimeSpan interval)
{
    private Taken _last = new([], DateTimeOffset.MinValue);
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    /// <summary>Takes the figures if an interval has passed since the last time, or at once when <paramref name="force"/>d. On the dispatch loop only.</summary>
    public void Take(DomainScheduler scheduler, DateTimeOffset now, bool force = false)
    {
        if (!force && now < _next)
        {
            return;
        }

        Volatile.Write(ref _last, new Taken(scheduler.Busiest(CrawlProgress.MaxDomains, now, interval), now));
        _next = now + interval;
    }

    /// <summary>The dispatch loop's <paramref name="wait"/>, shortened so that it takes the figures on time.</summary>
    public TimeSpan Cap(TimeSpan wait, DateTimeOffset now)
    {
        var due = _next - now;
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        return wait == Timeout.InfiniteTimeSpan || due < wait ? due : wait;
    }

    /// <summary>The figures last taken; from any thread.</summary>
    public IReadOnlyList<DomainProgress> Read(DateTimeOffset now)
    {
        var last = Volatile.Read(ref _last);
        if (now - last.At <= 2 * interval)
        {
            return last.Domains;
        }

        return last.Domains.Select(domain => new DomainProgress
        {
            Domain = domain.Domain,
            RequestsPerSecond = 0,
            InFlight = domain.InFlight,
            Queued = domain.Queued,
            Delay = domain.Delay,
            Requests = domain.Requests,
            Errors = domain.Errors,
        }).ToList();
    }

    private sealed record Taken(IReadOnlyList<DomainProgress> Domains, DateTimeOffset At);
}
