using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class AutoThrottleTests
{
    private static readonly AutoThrottleOptions Options = new() { Enabled = true, StartDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(60), TargetConcurrency = 2 };

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void FastResponses_BringTheDelayDown_TowardLatencyOverTargetConcurrency()
    {
        var delay = AutoThrottle.StartDelay(Options, TimeSpan.Zero);
        delay.ShouldBe(TimeSpan.FromSeconds(5));

        for (var i = 0; i < 30; i++)
        {
            delay = AutoThrottle.NextDelay(Options, delay, latency: Ms(200), status: 200, minDelay: TimeSpan.Zero);
        }

        delay.TotalMilliseconds.ShouldBe(100, tolerance: 1);
    }

    [Fact]
    public void ASlowResponse_RaisesTheDelayAtOnce()
    {
        var delay = AutoThrottle.NextDelay(Options, Ms(100), latency: TimeSpan.FromSeconds(8), status: 200, minDelay: TimeSpan.Zero);

        delay.ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void ErrorResponses_NeverLowerTheDelay_ButMayRaiseIt()
    {
        AutoThrottle.NextDelay(Options, TimeSpan.FromSeconds(5), latency: Ms(10), status: 503, minDelay: TimeSpan.Zero).ShouldBe(TimeSpan.FromSeconds(5));
        AutoThrottle.NextDelay(Options, TimeSpan.FromSeconds(5), latency: Ms(10), status: 404, minDelay: TimeSpan.Zero).ShouldBe(TimeSpan.FromSeconds(5));
        AutoThrottle.NextDelay(Options, Ms(100), latency: TimeSpan.FromSeconds(2), status: 500, minDelay: TimeSpan.Zero).ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void TheDelay_StaysBetweenTheMinimumAndTheMaximum()
    {
        AutoThrottle.NextDelay(Options, Ms(500), latency: TimeSpan.Zero, status: 200, minDelay: Ms(400)).ShouldBe(Ms(400));
        AutoThrottle.NextDelay(Options, TimeSpan.FromSeconds(50), latency: TimeSpan.FromSeconds(600), status: 200, minDelay: TimeSpan.Zero).ShouldBe(TimeSpan.FromSeconds(60));
        AutoThrottle.StartDelay(Options, minDelay: TimeSpan.FromSeconds(8)).ShouldBe(TimeSpan.FromSeconds(8));
    }

    [Fact]
    public void TheScheduler_WaitsTheAdaptedDelay()
    {
        var options = new CrawlOptions { RandomizeDownloadDelay = false };
        options.AutoThrottle.Enabled = true;
        options.AutoThrottle.StartDelay = TimeSpan.FromSeconds(2);
        var scheduler = new DomainScheduler(options, new Random(1));
        var time = new FakeTimeProvider();
        scheduler.DelayOf("a.example").ShouldBe(TimeSpan.FromSeconds(2));

        // Responses that take 100 ms at target concurrency 1 pull the delay toward 100 ms.
        for (var i = 0; i < 12; i++)
        {
            scheduler.Add(new Lease(i, 1, new Request($"http://a.example/{i}"), 1, DateTimeOffset.MaxValue));
            TimeSpan delay;
            while (scheduler.TryTake(time.GetUtcNow(), out _, out delay, out var wait) != TakeKind.Start)
            {
                time.Advance(wait);
            }

            scheduler.Started("a.example", time.GetUtcNow(), delay);
            scheduler.Observe("a.example", Ms(100), 200);
            scheduler.Finished("a.example", time.GetUtcNow());
        }

        scheduler.DelayOf("a.example").TotalMilliseconds.ShouldBe(100, tolerance: 1);
        scheduler.Add(new Lease(99, 1, new Request("http://a.example/last"), 1, DateTimeOffset.MaxValue));
        scheduler.TryTake(time.GetUtcNow(), out _, out _, out var last).ShouldBe(TakeKind.None);
        last.ShouldBeLessThan(TimeSpan.FromMilliseconds(110));
    }

    [Fact]
    public void WithoutAutoThrottle_ResponsesDoNotChangeTheDelay()
    {
        var options = new CrawlOptions { DownloadDelay = TimeSpan.FromSeconds(1) };
        var scheduler = new DomainScheduler(options, new Random(1));
        scheduler.Add(new Lease(1, 1, new Request("http://a.example/"), 1, DateTimeOffset.MaxValue));
        scheduler.TryTake(DateTimeOffset.UnixEpoch, out _, out _, out _);

        scheduler.Observe("a.example", TimeSpan.FromSeconds(30), 200).ShouldBeNull();
        scheduler.DelayOf("a.example").ShouldBe(TimeSpan.FromSeconds(1));
    }
}
