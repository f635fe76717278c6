using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

/// <summary>The per-domain politeness state, driven with a fake clock: no waiting, no timing.</summary>
public sealed class DomainSchedulerTests
{
    private static long _ids;

    private static Lease LeaseOf(string url, int attempt = 1, Dictionary<string, object?>? meta = null) =>
        new(Interlocked.Increment(ref _ids), 1, new Request(url) { Meta = meta ?? [] }, attempt, DateTimeOffset.MaxValue);

    private static (DomainScheduler Scheduler, FakeTimeProvider Time) Create(Action<CrawlOptions>? configure = null)
    {
        var options = new CrawlOptions();
        configure?.Invoke(options);
        return (new DomainScheduler(options, new Random(3)), new FakeTimeProvider());
    }

    // Takes, starts and finishes requests one at a time as soon as each may start, returning the gaps between starts.
    private static List<TimeSpan> RunOneAtATime(DomainScheduler scheduler, FakeTimeProvider time, int count, string url = "http://a.example/")
    {
        for (var i = 0; i < count; i++)
        {
            scheduler.Add(LeaseOf(url + i));
        }

        var starts = new List<DateTimeOffset>();
        while (starts.Count < count)
        {
            var kind = scheduler.TryTake(time.GetUtcNow(), out var lease, out var delay, out var wait);
            if (kind == TakeKind.Start)
            {
                var domain = DomainScheduler.DomainOf(lease.Request.Url);
                starts.Add(time.GetUtcNow());
                scheduler.Started(domain, time.GetUtcNow(), delay);
                scheduler.Finished(domain, time.GetUtcNow());
                continue;
            }

            kind.ShouldBe(TakeKind.None);
            wait.ShouldNotBe(Timeout.InfiniteTimeSpan);
            time.Advance(wait);
        }

        return [.. starts.Zip(starts.Skip(1), static (a, b) => b - a)];
    }

    [Fact]
    public void RandomizedDelay_StaysWithinHalfAndOneAndAHalfTimes_AndAveragesTheDelay()
    {
        var (scheduler, time) = Create(o => o.DownloadDelay = TimeSpan.FromMilliseconds(200));

        var gaps = RunOneAtATime(scheduler, time, 101);

        gaps.ShouldAllBe(g => g >= TimeSpan.FromMilliseconds(100) && g <= TimeSpan.FromMilliseconds(300));
        gaps.Distinct().Count().ShouldBeGreaterThan(10);
        gaps.Average(static g => g.TotalMilliseconds).ShouldBe(200, tolerance: 0.001);
    }

    [Fact]
    public void UnrandomizedDelay_IsExact()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromMilliseconds(250);
            o.RandomizeDownloadDelay = false;
        });

        RunOneAtATime(scheduler, time, 10).ShouldAllBe(g => g == TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public void TheGapIsCountedFromWhenTheDownloadActuallyStarted()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(1);
            o.RandomizeDownloadDelay = false;
        });
        scheduler.Add(LeaseOf("http://a.example/1"));
        scheduler.Add(LeaseOf("http://a.example/2"));
        scheduler.TryTake(time.GetUtcNow(), out _, out var delay, out _).ShouldBe(TakeKind.Start);

        // The download got going 300 ms after it was taken.
        time.Advance(TimeSpan.FromMilliseconds(300));
        scheduler.Started("a.example", time.GetUtcNow(), delay);
        scheduler.Finished("a.example", time.GetUtcNow());

        scheduler.TryTake(time.GetUtcNow(), out _, out _, out var wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(TimeSpan.FromSeconds(1));
    }

    // A domain with a delay of 1 s (not randomized) that allows four requests at once, and two requests to it.
    private static (DomainScheduler Scheduler, FakeTimeProvider Time) TwoRequestsToADomainWithADelay()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(1);
            o.RandomizeDownloadDelay = false;
            o.ConcurrencyPerDomain = 4;
        });
        scheduler.Add(LeaseOf("http://a.example/1"));
        scheduler.Add(LeaseOf("http://a.example/2"));
        return (scheduler, time);
    }

    [Fact]
    public void WithSeveralRequestsToADomainAllowed_OneSlowToStart_StillGetsItsWholeGap()
    {
        var (scheduler, time) = TwoRequestsToADomainWithADelay();
        scheduler.TryTake(time.GetUtcNow(), out _, out var delay, out _).ShouldBe(TakeKind.Start);

        // The delay since the take has passed, but the first download has not begun: the second waits for that start.
        time.Advance(TimeSpan.FromSeconds(1));
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out var wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(Timeout.InfiniteTimeSpan);

        // It began 3 s after it was taken: the next may start a whole delay after that.
        time.Advance(TimeSpan.FromSeconds(2));
        scheduler.Started("a.example", time.GetUtcNow(), delay);
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(TimeSpan.FromSeconds(1));
        time.Advance(wait);
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out _).ShouldBe(TakeKind.Start);
    }

    [Fact]
    public void ARequestThatEndsWithoutStarting_DoesNotHoldItsDomainBack()
    {
        var (scheduler, time) = TwoRequestsToADomainWithADelay();
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out _).ShouldBe(TakeKind.Start);

        // Skipped by middleware, say: it never reached the download.
        scheduler.Finished("a.example", time.GetUtcNow(), neverStarted: true);
        time.Advance(TimeSpan.FromSeconds(1));

        scheduler.TryTake(time.GetUtcNow(), out _, out _, out _).ShouldBe(TakeKind.Start);
    }

    [Fact]
    public void WithoutADelay_RequestsToADomainStartTogether_UpToItsConcurrency()
    {
        var (scheduler, time) = Create(o => o.ConcurrencyPerDomain = 3);
        for (var i = 0; i < 4; i++)
        {
            scheduler.Add(LeaseOf("http://a.example/" + i));
        }

        var started = 0;
        while (scheduler.TryTake(time.GetUtcNow(), out _, out _, out _) == TakeKind.Start)
        {
            started++;
        }

        started.ShouldBe(3);
    }

    [Fact]
    public void CrawlDelay_IsAFloorThatIsNeverRandomizedDown()
    {
        // Randomized, 250 ms gives 125-375 ms: the floor lifts the short gaps and leaves the long ones.
        var (scheduler, time) = Create(o => o.DownloadDelay = TimeSpan.FromMilliseconds(250));
        scheduler.SetCrawlDelay("a.example", TimeSpan.FromMilliseconds(300));

        var gaps = RunOneAtATime(scheduler, time, 40);

        gaps.ShouldAllBe(g => g >= TimeSpan.FromMilliseconds(300));
        gaps.ShouldContain(g => g > TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void DomainsHaveTheirOwnDelays_AndOverridesCoverSubdomains()
    {
        var (scheduler, _) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(1);
            o.Domains["slow.example"] = new DomainSettings { DownloadDelay = TimeSpan.FromSeconds(5), Concurrency = 1 };
        });

        scheduler.DelayOf("a.example").ShouldBe(TimeSpan.FromSeconds(1));
        scheduler.DelayOf("slow.example").ShouldBe(TimeSpan.FromSeconds(5));
        scheduler.DelayOf("www.slow.example").ShouldBe(TimeSpan.FromSeconds(5));
        scheduler.DelayOf("notslow.example").ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void PerDomainConcurrency_LimitsRequestsInFlight()
    {
        var (scheduler, time) = Create(o => o.Domains["one.example"] = new DomainSettings { Concurrency = 1 });
        scheduler.Add(LeaseOf("http://one.example/1"));
        scheduler.Add(LeaseOf("http://one.example/2"));
        scheduler.Add(LeaseOf("http://other.example/1"));
        scheduler.Add(LeaseOf("http://other.example/2"));

        var started = new List<string>();
        while (scheduler.TryTake(time.GetUtcNow(), out var lease, out _, out _) == TakeKind.Start)
        {
            started.Add(lease.Request.Url.AbsoluteUri);
        }

        started.ShouldBe(["http://one.example/1", "http://other.example/1", "http://other.example/2"], ignoreOrder: true);
    }

    [Fact]
    public void ARequestsOwnDelay_ReplacesTheDomainDelayForTheGapAfterIt()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(1);
            o.RandomizeDownloadDelay = false;
        });
        scheduler.Add(LeaseOf("http://a.example/1", meta: new() { [RequestMeta.DownloadDelay] = 4.5 }));
        scheduler.Add(LeaseOf("http://a.example/2"));

        scheduler.TryTake(time.GetUtcNow(), out _, out var delay, out _).ShouldBe(TakeKind.Start);

        delay.ShouldBe(TimeSpan.FromSeconds(4.5));
    }

    [Fact]
    public void APause_HoldsTheDomainBack_UntilItEnds()
    {
        var (scheduler, time) = Create();
        scheduler.PauseUntil("a.example", time.GetUtcNow() + TimeSpan.FromSeconds(30)).ShouldBeTrue();
        scheduler.PauseUntil("a.example", time.GetUtcNow() + TimeSpan.FromSeconds(10)).ShouldBeFalse();
        scheduler.Add(LeaseOf("http://a.example/1"));
        scheduler.Add(LeaseOf("http://b.example/1"));

        scheduler.TryTake(time.GetUtcNow(), out var first, out _, out _).ShouldBe(TakeKind.Start);
        first.Request.Url.Host.ShouldBe("b.example");
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out var wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(TimeSpan.FromSeconds(30));

        time.Advance(TimeSpan.FromSeconds(30));
        scheduler.TryTake(time.GetUtcNow(), out var second, out _, out _).ShouldBe(TakeKind.Start);
        second.Request.Url.Host.ShouldBe("a.example");
    }

    [Fact]
    public void APeek_ChangesNothing_AndARefusedDomainIsDeferredWhileTheNextPeekMovesOn()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(2);
            o.RandomizeDownloadDelay = false;
        });
        scheduler.Add(LeaseOf("http://a.example/1"));
        scheduler.Add(LeaseOf("http://a.example/2"));
        scheduler.Add(LeaseOf("http://b.example/1"));

        scheduler.TryPeek(time.GetUtcNow(), out var peeked, out _).ShouldBe(TakeKind.Start);
        scheduler.TryPeek(time.GetUtcNow(), out var again, out _).ShouldBe(TakeKind.Start);
        again.ShouldBeSameAs(peeked);
        peeked.Request.Url.AbsoluteUri.ShouldBe("http://a.example/1");
        scheduler.Buffered.ShouldBe(3);

        // The gate refuses a.example for 500 ms: its lease stays first in line, b.example goes meanwhile.
        scheduler.PauseUntil("a.example", time.GetUtcNow() + TimeSpan.FromMilliseconds(500));
        scheduler.TryPeek(time.GetUtcNow(), out var other, out _).ShouldBe(TakeKind.Start);
        other.Request.Url.Host.ShouldBe("b.example");
        scheduler.Take(time.GetUtcNow()).ShouldBe(TimeSpan.FromSeconds(2));
        scheduler.TryPeek(time.GetUtcNow(), out _, out var wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(TimeSpan.FromMilliseconds(500));

        // Once granted, the refused request starts with the domain's full delay after it, as if it had never been refused.
        time.Advance(wait);
        scheduler.TryTake(time.GetUtcNow(), out var granted, out var delay, out _).ShouldBe(TakeKind.Start);
        granted.ShouldBeSameAs(peeked);
        delay.ShouldBe(TimeSpan.FromSeconds(2));
        scheduler.Buffered.ShouldBe(1);
    }

    [Fact]
    public void PastTheDomainPageLimit_RequestsAreHandedOutToSkip_ButRetriesStillRun()
    {
        var (scheduler, time) = Create(o => o.MaxPagesPerDomain = 2);
        for (var i = 0; i < 4; i++)
        {
            scheduler.Add(LeaseOf($"http://a.example/{i}"));
        }

        scheduler.Add(LeaseOf("http://a.example/retried", attempt: 2));
        scheduler.Add(LeaseOf("http://b.example/0"));

        var kinds = new List<(TakeKind, string)>();
        while (scheduler.TryTake(time.GetUtcNow(), out var lease, out _, out _) is var kind && kind != TakeKind.None)
        {
            kinds.Add((kind, lease.Request.Url.AbsoluteUri));
        }

        kinds.Where(k => k.Item1 == TakeKind.Start).Select(k => k.Item2).ShouldBe(
            ["http://a.example/0", "http://a.example/1", "http://a.example/retried", "http://b.example/0"], ignoreOrder: true);
        kinds.Where(k => k.Item1 == TakeKind.OverLimit).Select(k => k.Item2).ShouldBe(["http://a.example/2", "http://a.example/3"], ignoreOrder: true);
        scheduler.Buffered.ShouldBe(0);
    }

    [Fact]
    public void AnIdleDomain_KeepsItsDelay()
    {
        var (scheduler, time) = Create(o =>
        {
            o.DownloadDelay = TimeSpan.FromSeconds(2);
            o.RandomizeDownloadDelay = false;
        });
        scheduler.Add(LeaseOf("http://a.example/1"));
        scheduler.TryTake(time.GetUtcNow(), out _, out var delay, out _).ShouldBe(TakeKind.Start);
        scheduler.Started("a.example", time.GetUtcNow(), delay);
        scheduler.Finished("a.example", time.GetUtcNow());

        // The next link arrives only after the domain went idle: it still waits out the delay.
        time.Advance(TimeSpan.FromMilliseconds(500));
        scheduler.Add(LeaseOf("http://a.example/2"));

        scheduler.TryTake(time.GetUtcNow(), out _, out _, out var wait).ShouldBe(TakeKind.None);
        wait.ShouldBe(TimeSpan.FromMilliseconds(1500));
    }
}
