using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class DomainEventsTests
{
    [Fact]
    public void Reports_FromAnyThread_ReachTheScheduler_OnlyWhenApplied()
    {
        var time = new FakeTimeProvider();
        var now = time.GetUtcNow();
        var scheduler = new DomainScheduler(new CrawlOptions { ConcurrencyPerDomain = 1 }, new Random(1));
        var events = new DomainEvents(NullLogger.Instance);
        scheduler.Add(EngineParts.Lease("http://example.com/a"));
        scheduler.Add(EngineParts.Lease("http://example.com/b"));
        scheduler.TryTake(now, out _, out _, out _).ShouldBe(TakeKind.Start);

        // The slot stays taken until the end of the download is applied.
        Parallel.Invoke(() => events.Started("example.com", now, TimeSpan.FromSeconds(2)), () => events.Finished("example.com", TimeSpan.FromMilliseconds(50), 200));
        scheduler.TryTake(now, out _, out _, out _).ShouldBe(TakeKind.None);
        events.ApplyTo(scheduler, now);

        scheduler.TryTake(now, out _, out _, out var wait).ShouldBe(TakeKind.None, "the delay counted from the start holds it back");
        wait.ShouldBe(TimeSpan.FromSeconds(2));
        scheduler.TryTake(now + TimeSpan.FromSeconds(2), out _, out _, out _).ShouldBe(TakeKind.Start);
    }

    [Fact]
    public void APause_MovesTheDomainsNextStart()
    {
        var now = DateTimeOffset.UnixEpoch;
        var scheduler = new DomainScheduler(new CrawlOptions(), new Random(1));
        var events = new DomainEvents(NullLogger.Instance);

        events.Paused("example.com", now.AddSeconds(30), TimeSpan.FromSeconds(30), 429);
        events.ApplyTo(scheduler, now);

        scheduler.NextStartOf("example.com").ShouldBe(now.AddSeconds(30));
    }
}
