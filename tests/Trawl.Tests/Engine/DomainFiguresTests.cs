using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Politeness;

namespace Trawl.Tests.Engine;

/// <summary>The per-domain figures of the progress report: taken from the scheduler by its owner, read from anywhere.</summary>
public sealed class DomainFiguresTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Busiest_RanksByRateThenInFlightThenQueued_AndLeavesIdleDomainsOut()
    {
        var scheduler = new DomainScheduler(new CrawlOptions { ConcurrencyPerDomain = 8 }, new Random(1));
        var events = new DomainEvents(NullLogger.Instance);
        scheduler.Busiest(10, T0, Second).ShouldBeEmpty();

        // fast: 3 ended in the second; busy: 1 ended, 2 in flight; waiting: 1 ended, 3 queued; idle: 1 ended before.
        Start(scheduler, "idle.example", 1);
        Finish(events, "idle.example", 1);
        events.ApplyTo(scheduler, T0);
        scheduler.Busiest(10, T0, Second);
        Start(scheduler, "fast.example", 3);
        Finish(events, "fast.example", 3, failed: 1);
        Start(scheduler, "busy.example", 3);
        Finish(events, "busy.example", 1);
        Start(scheduler, "waiting.example", 1);
        Finish(events, "waiting.example", 1);
        for (var i = 0; i < 3; i++)
        {
            scheduler.Add(EngineParts.Lease($"http://waiting.example/q{i}"));
        }

        events.ApplyTo(scheduler, T0 + Second);
        var busiest = scheduler.Busiest(10, T0 + Second, Second);

        busiest.Select(d => d.Domain).ShouldBe(["fast.example", "busy.example", "waiting.example"]);
        var fast = busiest[0];
        fast.RequestsPerSecond.ShouldBe(3);
        fast.Requests.ShouldBe(3);
        fast.Errors.ShouldBe(1);
        fast.InFlight.ShouldBe(0);
        busiest[1].InFlight.ShouldBe(2);
        busiest[2].Queued.ShouldBe(3);
        scheduler.Busiest(2, T0 + (2 * Second), Second).Select(d => d.Domain).ShouldBe(["busy.example", "waiting.example"], "nothing ended in the second second");
    }

    [Fact]
    public void Busiest_MeasuresTheRateOverAtLeastTheWindow_SoALookSoonAfterShowsNoBurst()
    {
        var scheduler = new DomainScheduler(new CrawlOptions(), new Random(1));
        var events = new DomainEvents(NullLogger.Instance);
        scheduler.Busiest(10, T0, Second);
        Start(scheduler, "a.example", 2);
        Finish(events, "a.example", 2);
        events.ApplyTo(scheduler, T0);

        scheduler.Busiest(10, T0 + TimeSpan.FromMilliseconds(10), Second).ShouldHaveSingleItem().RequestsPerSecond.ShouldBe(2);
    }

    [Fact]
    public void TheDelay_IsTheDomainsOwn_WithRobotsCrawlDelayAsAFloor()
    {
        var options = new CrawlOptions { DownloadDelay = TimeSpan.FromMilliseconds(300) };
        options.Domains["slow.example"] = new DomainSettings { DownloadDelay = TimeSpan.FromSeconds(2) };
        var scheduler = new DomainScheduler(options, new Random(1));
        scheduler.Add(EngineParts.Lease("http://fast.example/"));
        scheduler.Add(EngineParts.Lease("http://slow.example/"));
        scheduler.Add(EngineParts.Lease("http://polite.example/"));
        scheduler.SetCrawlDelay("polite.example", TimeSpan.FromSeconds(5));

        var delays = scheduler.Busiest(10, T0, Second).ToDictionary(d => d.Domain, d => d.Delay);

        delays["fast.example"].ShouldBe(TimeSpan.FromMilliseconds(300));
        delays["slow.example"].ShouldBe(TimeSpan.FromSeconds(2));
        delays["polite.example"].ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Figures_AreTakenOnceAnInterval_UnlessForced_AndTheWaitIsCappedUntilTheNext()
    {
        var scheduler = new DomainScheduler(new CrawlOptions(), new Random(1));
        var figures = new DomainFigures(Second);
        scheduler.Add(EngineParts.Lease("http://a.example/"));
        figures.Take(scheduler, T0);
        figures.Read(T0).ShouldHaveSingleItem().Queued.ShouldBe(1);

        scheduler.Add(EngineParts.Lease("http://a.example/2"));
        figures.Take(scheduler, T0 + TimeSpan.FromMilliseconds(400));
        figures.Read(T0).ShouldHaveSingleItem().Queued.ShouldBe(1, "not an interval yet");
        figures.Cap(Timeout.InfiniteTimeSpan, T0 + TimeSpan.FromMilliseconds(400)).ShouldBe(TimeSpan.FromMilliseconds(600));
        figures.Cap(TimeSpan.FromMilliseconds(100), T0 + TimeSpan.FromMilliseconds(400)).ShouldBe(TimeSpan.FromMilliseconds(100));

        figures.Take(scheduler, T0 + TimeSpan.FromMilliseconds(400), force: true);
        figures.Read(T0).ShouldHaveSingleItem().Queued.ShouldBe(2);
        figures.Cap(Timeout.InfiniteTimeSpan, T0 + TimeSpan.FromSeconds(5)).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void FiguresNotTakenForTwoIntervals_AreReadWithNoRate_ForNothingHasEndedSince()
    {
        var scheduler = new DomainScheduler(new CrawlOptions(), new Random(1));
        var events = new DomainEvents(NullLogger.Instance);
        var figures = new DomainFigures(Second);
        figures.Take(scheduler, T0);
        Start(scheduler, "a.example", 4);
        Finish(events, "a.example", 4);
        events.ApplyTo(scheduler, T0 + Second);
        figures.Take(scheduler, T0 + Second);

        figures.Read(T0 + (2 * Second)).ShouldHaveSingleItem().RequestsPerSecond.ShouldBe(4);
        var stale = figures.Read(T0 + (4 * Second)).ShouldHaveSingleItem();
        stale.RequestsPerSecond.ShouldBe(0);
        stale.Requests.ShouldBe(4);
    }

    private static void Start(DomainScheduler scheduler, string domain, int count)
    {
        for (var i = 0; i < count; i++)
        {
            scheduler.Add(EngineParts.Lease($"http://{domain}/{i}"));
        }

        for (var i = 0; i < count; i++)
        {
            scheduler.TryTake(T0, out _, out _, out _).ShouldBe(TakeKind.Start);
        }
    }

    private static void Finish(DomainEvents events, string domain, int count, int failed = 0)
    {
        for (var i = 0; i < count; i++)
        {
            events.Finished(domain, TimeSpan.FromMilliseconds(20), i < failed ? 503 : 200, failed: i < failed);
        }
    }
}
